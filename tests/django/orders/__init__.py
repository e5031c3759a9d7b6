"""The database half of the test app (issue 4): customers, orders and a counter,
the /db/ views, the per-request query log, and the seed data. Installed only by
`shop.settings_db`; `shop.settings` has no database and does not know it."""
