# The services that own a database (make migrate).
SERVICES_WITH_DB := {{ services | selectattr("database") | map(attribute="name") | join(" ") }}
