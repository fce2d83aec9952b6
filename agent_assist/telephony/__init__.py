"""Adapters that turn softphone and PBX events into :class:`CallEvent` values (they only translate).

Sources: the ``agent-assist call/answer/hangup`` commands (over the window's local channel), baresip's
``ctrl_tcp`` module and Generic-CTI webhooks from a PBX. Each parses its own wire format into the same
frozen :class:`~agent_assist.telephony.events.CallEvent` and hands it to the call workflow; none keeps state
beyond its connection.
"""
