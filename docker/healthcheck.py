"""Container healthchecks without curl or procps (the slim image has neither).

    python docker/healthcheck.py web          # GET /health/live on this container's gunicorn answers 200
    python docker/healthcheck.py process NAME # a process whose command line contains NAME is running
"""

import os
import sys
import urllib.request


def web() -> bool:
    port = os.environ.get("SYNTHHUB_WEB_BIND", "0.0.0.0:8000").rsplit(":", 1)[-1]
    request = urllib.request.Request(f"http://127.0.0.1:{port}/health/live", headers={"X-Forwarded-Proto": "https"})
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - a fixed loopback URL
        return response.status == 200


def process(name: str) -> bool:
    me = str(os.getpid())
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or pid == me:
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                command = handle.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if name in command and "healthcheck.py" not in command:
            return True
    return False


if __name__ == "__main__":
    try:
        healthy = web() if sys.argv[1:] == ["web"] else process(sys.argv[2])
    except Exception as exc:  # noqa: BLE001 - any failure is "unhealthy", with its reason on stderr
        print(f"unhealthy: {exc}", file=sys.stderr)
        healthy = False
    sys.exit(0 if healthy else 1)
