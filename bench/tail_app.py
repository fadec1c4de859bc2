# SPDX-License-Identifier: GPL-2.0
# The WSGI app bench/tail runs in gunicorn's sync workers (-S gunicorn):
# "GET /<us>" holds its worker <us> microseconds, as a slow handler would,
# then answers 200.  Which requests are slow is the bench's choice, so that
# every variant of a round gets the same ones.
import time


def app(environ, start_response):
    time.sleep(int(environ["PATH_INFO"][1:]) / 1e6)
    start_response("200 OK", [("Content-Length", "3")])
    return [b"ok\n"]
