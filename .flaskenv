# Read by the flask command (python-dotenv) for local work; gunicorn does not read it.
FLASK_APP=wsgi
APP_ENV=development
