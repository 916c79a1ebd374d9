"""A Celery app with consult's broker configuration and no tasks: a worker of it answers remote
control, and nothing else (tests/test_celery_isolation.py starts two, on two queue names)."""

from consult.jobs import make_celery
from consult.settings import get_settings

celery_app = make_celery(get_settings())
