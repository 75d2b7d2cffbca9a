"""core.afterresponse: work a request hands over runs once its response has gone out (at close),
in order, each piece on its own; outside a request it runs at once."""

import pytest
from django.http import HttpResponse

from core import afterresponse
from core.afterresponse import AfterResponseMiddleware


def test_outside_a_request_the_work_runs_at_once():
    done = []
    assert not afterresponse.active()
    afterresponse.after_response(lambda: done.append(1))
    assert done == [1]


def test_handed_over_work_runs_in_order_and_one_that_fails_does_not_stop_the_rest(caplog):
    done = []
    with afterresponse.deferred() as pending:
        assert afterresponse.active()
        afterresponse.after_response(lambda: done.append("first"))
        afterresponse.after_response(lambda: 1 / 0)
        afterresponse.after_response(lambda: done.append("last"))
        assert done == []
    assert not afterresponse.active()
    afterresponse.run(pending)
    assert done == ["first", "last"] and pending == []
    assert "work after the response failed" in caplog.text and "ZeroDivisionError" in caplog.text


def test_the_middleware_runs_the_work_when_the_server_closes_the_response(rf):
    done = []

    def view(request):
        afterresponse.after_response(lambda: done.append("stored"))
        return HttpResponse(b"image")

    response = AfterResponseMiddleware(view)(rf.get("/"))
    assert done == [] and response.content == b"image"  # the body is there before the work runs
    response.close()  # what the WSGI server calls once the body is sent
    assert done == ["stored"]
    response.close()
    assert done == ["stored"]  # once


def test_work_of_a_view_that_raises_runs_before_the_error_goes_on(rf):
    done = []

    def view(request):
        afterresponse.after_response(lambda: done.append("released"))
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        AfterResponseMiddleware(view)(rf.get("/"))
    assert done == ["released"]
