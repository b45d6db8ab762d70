"""Use cases of the platform. API routes and Celery tasks call these; they call nothing back."""
