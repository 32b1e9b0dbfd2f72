"""EmitPlayground driven headless: set controls, click, check the diagram and log; errors stay inside."""

from wslab.events import Server
from wslab.widgets import EmitPlayground


def test_emit_updates_diagram_and_log():
    pg = EmitPlayground()
    before = (pg.diagram.value, pg.log_view.value)
    pg.client.value = "alice"
    pg.pattern.value = "socket.broadcast.emit"
    pg.payload.value = '"hello"'
    pg.emit_button.click()
    assert (pg.diagram.value, pg.log_view.value) != before
    assert sorted(pg.received) == ["bob", "carol"]
    assert "42[&quot;chat&quot;,&quot;hello&quot;]" in pg.log_view.value
    assert "received by: bob, carol" in pg.diagram.value


def test_clients_rooms_and_connections():
    pg = EmitPlayground()
    pg.name.value = "dave"
    pg.add_button.click()
    assert list(pg.client.options) == ["alice", "bob", "carol", "dave"] and pg.client.value == "dave"
    pg.room.value = "red"
    pg.join_button.click()
    pg.client.value = "bob"
    pg.join_button.click()
    assert pg.io.rooms == {"red": ("dave", "bob")}
    pg.pattern.value = "socket.to(room).emit"
    pg.emit_button.click()
    assert pg.received == ["dave"]
    pg.leave_button.click()
    assert pg.io.rooms == {"red": ("dave",)}
    pg.disconnect_button.click()
    assert not pg.io.clients["bob"].connected and "offline" in pg.diagram.value
    pg.client.value = "alice"
    pg.pattern.value = "io.emit"
    pg.emit_button.click()
    assert sorted(pg.received) == ["alice", "carol", "dave"]
    pg.client.value = "bob"
    pg.connect_button.click()
    assert pg.io.clients["bob"].connected
    pg.client.value = "carol"
    pg.remove_button.click()
    assert "carol" not in pg.io.clients and "carol" not in pg.client.options


def test_bad_input_shows_an_error_and_raises_nothing():
    pg = EmitPlayground(Server(), clients=("alice",))
    pg.payload.value = "{not json"
    pg.emit_button.click()
    assert "error:" in pg.status.value and "not valid JSON" in pg.status.value
    pg.payload.value = "1"
    pg.event.value = "disconnect"
    pg.emit_button.click()
    assert "reserved event name" in pg.status.value
    pg.event.value = "chat"
    pg.name.value = "alice"
    pg.add_button.click()
    assert "already" in pg.status.value
    pg.room.value = "  "
    pg.join_button.click()
    assert "room name" in pg.status.value
    pg.disconnect_button.click()
    pg.pattern.value = "socket.emit"
    pg.emit_button.click()
    assert "alice is not connected" in pg.status.value
    pg.remove_button.click()
    pg.emit_button.click()
    assert "no client selected" in pg.status.value


def test_snapshot_and_repr_are_static_and_deterministic():
    a, b = EmitPlayground(), EmitPlayground()
    a.emit_button.click()
    b.emit_button.click()
    assert a.snapshot().to_string() == b.snapshot().to_string() == a.diagram.value
    assert repr(a) == "EmitPlayground(clients=['alice', 'bob', 'carol'], rooms=[])"
