"""Users, roles, departments, cohorts; login and administration."""
