"""Every event Donna's local engine sends validates against the official OpenAI Python SDK's GA
event types: a client built on those types must not drop any of them as invalid.

Usage: python3 validate_events.py BASE_URL ENGINE_KEY VISITOR_WAV

Holds three turns over the SDK's realtime client — a text turn, a tool turn (a function call
answered by the client) and a spoken turn (PCM16 24 kHz from VISITOR_WAV, committed by hand,
with input transcription on) — reads every event as raw JSON and validates it with the SDK's own
pydantic models (RealtimeServerEvent). Prints one line per turn and exits non-zero on the first
event that does not validate.
"""

import base64
import json
import sys
import wave

import pydantic
from openai import OpenAI
from openai.types.realtime import RealtimeServerEvent

EVENTS = pydantic.TypeAdapter(RealtimeServerEvent)

LOOKUP_STAFF = {
    "type": "function",
    "name": "lookup_staff",
    "description": "Find a member of staff by name.",
    "parameters": {
        "type": "object",
        "properties": {"name": {"type": "string"}},
        "required": ["name"],
    },
}


def next_event(conn, seen):
    raw = conn.recv_bytes()
    try:
        event = EVENTS.validate_json(raw)
    except pydantic.ValidationError as e:
        raise SystemExit(f"invalid event: {raw.decode()}\n{e}")
    data = json.loads(raw)
    assert data["type"] != "error", data
    seen.add(data["type"])
    return event, data


def until(conn, seen, kind):
    while True:
        event, data = next_event(conn, seen)
        if data["type"] == kind:
            return event, data


def pcm16_24k(path):
    """The WAV's first channel as PCM16 mono at 24 kHz (linear interpolation)."""
    with wave.open(path, "rb") as w:
        assert w.getsampwidth() == 2, "16-bit WAV expected"
        rate, channels = w.getframerate(), w.getnchannels()
        frames = w.readframes(w.getnframes())
    samples = [int.from_bytes(frames[i : i + 2], "little", signed=True) for i in range(0, len(frames), 2 * channels)]
    out = bytearray()
    n = int(len(samples) * 24000 / rate)
    for j in range(n):
        x = j * rate / 24000
        i = int(x)
        a = samples[min(i, len(samples) - 1)]
        b = samples[min(i + 1, len(samples) - 1)]
        out += int(a + (b - a) * (x - i)).to_bytes(2, "little", signed=True)
    return bytes(out)


def main() -> int:
    base_url, key, wav = sys.argv[1], sys.argv[2], sys.argv[3]
    client = OpenAI(base_url=base_url, api_key=key)
    seen = set()
    with client.realtime.connect(model="gpt-realtime") as conn:
        until(conn, seen, "session.created")

        # A text turn.
        conn.session.update(session={"type": "realtime", "output_modalities": ["text"]})
        until(conn, seen, "session.updated")
        conn.conversation.item.create(
            item={"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Are you open on Sunday?"}]}
        )
        conn.response.create()
        until(conn, seen, "response.done")
        print("ok: text turn")

        # A tool turn: the engine calls the client's function and answers with its output.
        conn.session.update(session={"type": "realtime", "tools": [LOOKUP_STAFF], "tool_choice": "auto"})
        until(conn, seen, "session.updated")
        conn.conversation.item.create(
            item={"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Where can I find Tom Becker?"}]}
        )
        conn.response.create()
        _, done = until(conn, seen, "response.done")
        calls = [o for o in done["response"]["output"] if o["type"] == "function_call"]
        assert calls, done
        conn.conversation.item.create(
            item={
                "type": "function_call_output",
                "call_id": calls[0]["call_id"],
                "output": json.dumps({"matches": [{"id": "tom-becker", "name": "Tom Becker"}]}),
            }
        )
        conn.response.create()
        until(conn, seen, "response.done")
        print("ok: tool turn")

        # A spoken turn, answered in speech, with the visitor's words transcribed.
        conn.session.update(
            session={
                "type": "realtime",
                "tools": [],
                "output_modalities": ["audio"],
                "audio": {"input": {"transcription": {"model": "gpt-4o-mini-transcribe"}, "turn_detection": None}},
            }
        )
        until(conn, seen, "session.updated")
        audio = pcm16_24k(wav)
        for i in range(0, len(audio), 9600):
            conn.input_audio_buffer.append(audio=base64.b64encode(audio[i : i + 9600]).decode())
        conn.input_audio_buffer.commit()
        conn.response.create()
        _, done = until(conn, seen, "response.done")
        audio_tokens = done["response"]["usage"]["output_token_details"]["audio_tokens"]
        assert audio_tokens > 0, done["response"]["usage"]
        required = {
            "conversation.item.input_audio_transcription.completed",
            "response.output_audio.delta",
            "response.output_audio_transcript.delta",
        }
        assert required <= seen, sorted(required - seen)
        print(f"ok: spoken turn ({audio_tokens} audio tokens)")
    print(f"ok: {len(seen)} kinds of event validated: {', '.join(sorted(seen))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
