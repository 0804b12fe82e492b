"""Flask layer: app factory, REST API, pages and the command line."""
