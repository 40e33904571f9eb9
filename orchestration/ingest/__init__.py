"""From a delivery folder to rows in `raw`: the extract contracts (rules as data), the one
reader, validation of a folder whole, its scope, and loading in one transaction."""
