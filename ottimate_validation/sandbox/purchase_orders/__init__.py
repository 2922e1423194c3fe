"""Purchase orders (§14): location-level documents synced from the ERP, matched against invoices."""
