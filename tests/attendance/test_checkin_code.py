"""The check-in code reaches the invitee: a QR code inline in the invitation email (sent by the real
worker to the real SMTP server, decoded here with zxing-cpp) with the code in text beside it, and
on the RSVP page; an online event's email carries none."""

from __future__ import annotations

import io
import re

import zxingcpp
from PIL import Image

from tests.attendance.conftest import ANNA, GULNARA, IRINA, Scenario, code_of, invite, make_event


def _part(message, content_type: str):
    return next(p for p in message.walk() if p.get_content_type() == content_type)


def test_the_invitation_email_carries_a_scannable_code(api, scenario: Scenario, worker, smtp):
    mails = {m.rcpt_tos[0]: m.message for m in smtp.wait_for(6)}
    for email in (GULNARA, IRINA, ANNA):
        message = mails[email]
        code = code_of(scenario.invitations[email])
        # The HTML and its image travel together (multipart/related), next to the text and the
        # calendar request, as every mail client expects.
        alternative = _part(message, "multipart/alternative")
        kinds = [p.get_content_type() for p in alternative.iter_parts()]
        assert kinds == ["text/plain", "multipart/related", "text/calendar"]
        html = _part(message, "text/html").get_content()
        image = _part(message, "image/png")
        content_id = image["Content-ID"].strip("<>")
        assert f'src="cid:{content_id}"' in html
        assert image.get_content_disposition() == "inline"
        decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(image.get_content())))
        assert [(b.format, b.text) for b in decoded] == [(zxingcpp.BarcodeFormat.QRCode, code)]
        # For those who cannot scan: the code in text, in both bodies.
        assert code in html
        assert code in _part(message, "text/plain").get_content()

    # The RSVP page shows the same code, its QR code as an image the page's CSP allows.
    text = _part(mails[GULNARA], "text/plain").get_content()
    token = re.search(r"/rsvp/(rsvp_[\w-]+)", text).group(1)
    page = api.get(f"/rsvp/{token}", headers={"Accept": "text/html"})
    assert page.status_code == 200
    code = code_of(scenario.invitations[GULNARA])
    assert code in page.text
    assert re.search(r'<img src="data:image/svg\+xml;[^"]+"[^>]* alt="', page.text)
    assert "img-src 'self' data:" in page.headers["Content-Security-Policy"]


def test_an_online_event_sends_no_code(api, scenario: Scenario, worker, smtp):
    smtp.wait_for(6)
    online = make_event(api, scenario.consultation["id"], format="online", location=None)
    invite(api, online, [scenario.person(ANNA)])
    message = smtp.wait_for(7)[6].message
    assert not [p for p in message.walk() if p.get_content_maintype() == "image"]
    assert "multipart/related" not in [p.get_content_type() for p in message.walk()]
