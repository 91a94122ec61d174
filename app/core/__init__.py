"""Ground floor: decorators, errors, templating, pagination, i18n."""
