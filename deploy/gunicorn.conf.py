"""gunicorn's settings for the desk's web workers (deploy/Procfile and the systemd unit pass it with -c)."""


def post_worker_init(worker: object) -> None:
    """Each worker, once it has loaded the app, settles its start-up objects (see web/process_memory.py)."""
    from web.process_memory import settle_after_start

    settle_after_start()
