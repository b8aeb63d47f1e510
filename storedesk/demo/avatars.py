"""Generated images and files for the demo: agent avatars and small attachments.

Everything is drawn on the fly so the repository carries no binary fixtures, and the
output is the same on every run.
"""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFont

AVATAR_SIZE = 128


def _png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _hex_to_rgb(color: str) -> tuple[int, int, int]:
    value = color.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def avatar_png(*, initials: str, color: str) -> bytes:
    """A coloured circle with white initials, AVATAR_SIZE pixels square."""
    scale = 4  # draw large and shrink, for smooth edges without antialiasing support
    size = AVATAR_SIZE * scale
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((0, 0, size - 1, size - 1), fill=_hex_to_rgb(color))
    font = ImageFont.load_default(size=size * 0.42)
    draw.text((size / 2, size / 2), initials[:2], fill="white", font=font, anchor="mm")
    return _png_bytes(image.resize((AVATAR_SIZE, AVATAR_SIZE), Image.Resampling.LANCZOS))


def damage_photo_png() -> bytes:
    """A small "photo" of a dented parcel: a cardboard box with a crack across it."""
    image = Image.new("RGB", (320, 240), (214, 211, 204))
    draw = ImageDraw.Draw(image)
    draw.polygon([(60, 90), (250, 80), (270, 200), (70, 210)], fill=(176, 132, 82))
    draw.polygon([(60, 90), (110, 50), (290, 45), (250, 80)], fill=(196, 153, 101))
    draw.polygon([(250, 80), (290, 45), (300, 160), (270, 200)], fill=(150, 110, 66))
    crack = [(150, 85), (160, 120), (145, 150), (170, 190), (160, 207)]
    draw.line(crack, fill=(60, 40, 20), width=4)
    draw.rectangle((90, 120, 140, 150), fill=(240, 240, 235))
    return _png_bytes(image)


def payment_screenshot_png() -> bytes:
    """A small "screenshot" of a checkout page showing a red error banner."""
    image = Image.new("RGB", (360, 200), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 359, 28), fill=(30, 41, 59))
    draw.rectangle((20, 50, 340, 90), fill=(254, 226, 226), outline=(220, 38, 38), width=2)
    font = ImageFont.load_default(size=14)
    draw.text((32, 62), "Payment declined (code 05)", fill=(153, 27, 27), font=font)
    for top in (110, 135, 160):
        draw.rectangle((20, top, 340, top + 16), fill=(226, 232, 240))
    return _png_bytes(image)


def invoice_pdf(*, shop: str, order: str, amount: str) -> bytes:
    """A one-page PDF invoice with a few lines of text (ASCII only, built by hand)."""
    lines = [f"{shop} - Invoice", f"Order {order}", f"Total: {amount} SEK incl. VAT", "Paid"]
    text = "BT /F1 14 Tf 72 760 Td 20 TL " + " ".join(
        f"({_pdf_escape(line)}) '" for line in lines
    ) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        "/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        f"<< /Length {len(text)} >>\nstream\n{text}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref_at = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode("latin-1")
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode("latin-1")
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref_at}\n%%EOF\n"
    ).encode("latin-1")
    return bytes(out)


def _pdf_escape(value: str) -> str:
    ascii_only = value.replace("\u00a0", " ").encode("ascii", "replace").decode("ascii")
    return ascii_only.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
