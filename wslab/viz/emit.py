"""Pictures of Socket.IO emits: who receives each one (`emit_diagram`) and a conversation (`timeline`).

Both read a `wslab.events.Server` and its trace, and return a deterministic
`Svg`. They are legible without colour: recipients have a thick solid border and
an arrow, everyone else a thin dashed one; the sender has a double border.
"""

from __future__ import annotations

from wslab.events import Delivery, Server
from wslab.events.trace import SERVER
from wslab.viz.style import wrap
from wslab.viz.svg import Svg, num

WIDTH = 700
MAX_CLIENTS = 10  # more than this and the boxes would be unreadable: the rest are summarised
INK = "#222"
GREY = "#e4e4e4"


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _arrow(
    svg: Svg, x1: float, y1: float, x2: float, y2: float, *, width: float = 1.6, dash: str | None = None
) -> None:
    """A line from (x1, y1) to (x2, y2) with a filled head at the end."""
    svg.line(x1, y1, x2, y2, stroke=INK, stroke_width=width, stroke_dasharray=dash)
    dx, dy = x2 - x1, y2 - y1
    length = (dx * dx + dy * dy) ** 0.5 or 1.0
    ux, uy = dx / length, dy / length
    back_x, back_y = x2 - 9 * ux, y2 - 9 * uy
    svg.path(
        f"M{num(x2)},{num(y2)} L{num(back_x - 4 * uy)},{num(back_y + 4 * ux)} "
        f"L{num(back_x + 4 * uy)},{num(back_y - 4 * ux)} Z",
        fill=INK,
    )


def _hopping_arrow(svg: Svg, x1: float, x2: float, y: float, passed: list[float], *, dash: str | None) -> None:
    """A horizontal arrow from x1 to x2 that jumps (a small arc) over each lifeline in `passed`."""
    direction = 1 if x2 > x1 else -1
    d = f"M{num(x1)},{num(y)}"
    for x in sorted(passed, reverse=direction < 0):
        sweep = 1 if direction > 0 else 0
        d += f" L{num(x - 6 * direction)},{num(y)} A6,6 0 0 {sweep} {num(x + 6 * direction)},{num(y)}"
    head = x2 - 9 * direction
    d += f" L{num(head)},{num(y)}"
    svg.path(d, fill="none", stroke=INK, stroke_width=1.3, stroke_dasharray=dash)
    svg.path(f"M{num(x2)},{num(y)} L{num(head)},{num(y - 4)} L{num(head)},{num(y + 4)} Z", fill=INK)


def _caption(delivery: Delivery | None) -> tuple[str, str, str]:
    if delivery is None:
        return "nothing emitted yet", "", ""
    who = delivery.socket if delivery.sender == SERVER else delivery.sender
    head = f"{delivery.call}   (pattern: {delivery.pattern}" + (f", sender: {who})" if who else ")")
    to = ", ".join(delivery.recipients) if delivery.recipients else "nobody"
    return head, f"on the wire: {delivery.packet}", f"received by: {to}"


def emit_diagram(io: Server, delivery: Delivery | None = None, *, title: str | None = None) -> Svg:
    """The server, its clients (rooms as bands under them), and arrows to exactly the recipients.

    ``delivery`` defaults to the last emit in ``io.trace``. Rooms are drawn as they are now.
    """
    if delivery is None:
        delivery = io.trace.last_event()
    names = list(io.clients)
    shown, hidden = names[:MAX_CLIENTS], names[MAX_CLIENTS:]
    rooms = io.rooms
    left = 96 if rooms else 16
    height = 250 + 22 * len(rooms) + (18 if hidden else 0)
    svg = Svg(WIDTH, height, title=title or _caption(delivery)[0])
    svg.rect(0, 0, WIDTH, height, fill="white")

    head, wire, to = _caption(delivery)
    svg.text(12, 20, _short(head, 96), size=12, font_weight="bold", fill=INK)
    svg.text(12, 38, _short(wire, 96), size=12, fill=INK)
    svg.text(12, 56, _short(to, 96), size=12, fill=INK)

    server_x, server_y, server_w, server_h = WIDTH / 2 - 80, 76, 160, 34
    svg.rect(server_x, server_y, server_w, server_h, rx=4, fill=GREY, stroke=INK, stroke_width=1.5)
    svg.text(WIDTH / 2, server_y + 22, "server (io)", size=13, anchor="middle", fill=INK)

    slot = (WIDTH - left - 8) / max(len(shown), 1)
    box_w, box_y, box_h = min(110, slot - 10), 180, 40
    centres = {name: left + slot * i + slot / 2 for i, name in enumerate(shown)}
    recipients = set(delivery.recipients) if delivery else set()
    sender = (delivery.socket if delivery and delivery.sender == SERVER else delivery.sender) if delivery else None
    to_server = delivery is not None and delivery.recipients == (SERVER,)

    for name, cx in centres.items():
        client = io.clients[name]
        x = cx - box_w / 2
        received = name in recipients
        svg.rect(
            x,
            box_y,
            box_w,
            box_h,
            rx=4,
            fill="white",
            stroke=INK,
            stroke_width=2.5 if received else 1,
            stroke_dasharray=None if received else "4 3",
        )
        if name == sender:
            svg.rect(x + 3, box_y + 3, box_w - 6, box_h - 6, rx=3, fill="none", stroke=INK, stroke_width=1)
        size = 12
        svg.text(
            cx,
            box_y + 17,
            _short(name, int(box_w / (size * 0.62))),
            size=size,
            anchor="middle",
            font_weight="bold" if received else None,
            fill=INK,
        )
        status = ("sender" if name == sender else "") + (" ✓" if received else "")
        if not client.connected:
            status = (status + " offline").strip()
        svg.text(cx, box_y + 33, status.strip() or "—", size=size, anchor="middle", fill=INK)
        if received:
            _arrow(svg, WIDTH / 2 + (cx - WIDTH / 2) * 0.25, server_y + server_h, cx, box_y - 2, width=2)
        if to_server and name == sender:
            _arrow(svg, cx, box_y - 2, WIDTH / 2 + (cx - WIDTH / 2) * 0.25, server_y + server_h + 2, width=2)

    band_y = box_y + box_h + 14
    for room, members in rooms.items():
        svg.text(8, band_y + 11, _short(f"room {room}", 13), size=12, fill=INK)
        run: list[float] = []
        for name in shown + [None]:  # a None at the end closes the last run
            if name is not None and name in members:
                run.append(centres[name])
                continue
            if run:
                svg.rect(
                    run[0] - box_w / 2,
                    band_y,
                    run[-1] - run[0] + box_w,
                    14,
                    rx=7,
                    fill=GREY,
                    stroke=INK,
                    stroke_width=1,
                )
                svg.text((run[0] + run[-1]) / 2, band_y + 11, room, size=12, anchor="middle", fill=INK)
                run = []
        band_y += 22
    if hidden:
        got = sum(1 for name in hidden if name in recipients)
        svg.text(
            12, band_y + 10, f"+ {len(hidden)} more clients not drawn ({got} of them received it)", size=12, fill=INK
        )
    return svg


def timeline(io: Server, *, last: int | None = None) -> Svg:
    """A sequence diagram of ``io.trace``: one row per packet, arrows from sender to each recipient.

    ``last`` keeps only the most recent rows.
    """
    deliveries = list(io.trace)[-last:] if last else list(io.trace)
    names = [SERVER] + list(io.clients)
    for d in deliveries:  # clients removed since still need a column
        for name in (d.sender, *d.recipients):
            if name not in names:
                names.append(name)
    gutter, top, line = 300, 44, 15
    step = (WIDTH - gutter - 50) / max(len(names) - 1, 1)
    xs = {name: gutter + 10 + i * step for i, name in enumerate(names)}
    # Each row: the call and its packet in the gutter (wrapped, never over a lifeline), then the arrows.
    rows = [
        wrap(f"#{d.step} {d.call}", gutter - 20, 12)
        + wrap(d.packet, gutter - 20, 12)
        + ([] if d.recipients else ["→ nobody"])
        for d in deliveries
    ]
    height = top + sum(line * len(r) + 10 for r in rows) + 16
    svg = Svg(WIDTH, height, title=f"timeline of {len(deliveries)} packets")
    svg.rect(0, 0, WIDTH, height, fill="white")
    for name, x in xs.items():
        svg.text(
            x,
            20,
            _short(name, int(step / (12 * 0.602)) if len(names) > 1 else 20),
            size=12,
            anchor="middle",
            font_weight="bold",
            fill=INK,
        )
        svg.line(x, 28, x, height - 8, stroke=INK, stroke_width=1, stroke_dasharray="2 3")
    y = top
    for d, text in zip(deliveries, rows, strict=True):
        for k, part in enumerate(text):
            svg.text(8, y + 4 + line * k, part, size=12, fill=INK, font_weight="bold" if k == 0 else None)
        x1 = xs[d.sender]
        dash = "5 3" if d.kind in ("ack", "connect", "connect_error", "disconnect") else None
        for name in d.recipients:
            x2 = xs[name] + (-3 if xs[name] > x1 else 3)
            # The arrow hops over the lifelines it passes without delivering there (an excluded sender).
            passed = [x for n, x in xs.items() if min(x1, x2) < x < max(x1, x2) and n not in d.recipients]
            _hopping_arrow(svg, x1, x2, y, passed, dash=dash)
        y += line * len(text) + 10
    return svg
