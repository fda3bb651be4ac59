"""The REST API over HTTP: Flask app factory, routes, problems, request reading."""
