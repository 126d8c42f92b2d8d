"""Network KPIs for governance reviews (per-period figures)."""
