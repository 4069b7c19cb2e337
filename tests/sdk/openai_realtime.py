"""The official OpenAI Python SDK against Donna's local engine, with only a base-URL override.

Usage: python3 openai_realtime.py BASE_URL ENGINE_KEY   (BASE_URL like http://127.0.0.1:8765/v1)
       python3 openai_realtime.py --proxy GATEWAY_URL TOKEN   (GATEWAY_URL like http://127.0.0.1:8765)

Mints a client secret, then holds a text conversation over the SDK's realtime WebSocket client
twice: once with the secret, once with the engine key. With --proxy, holds one conversation
through the gateway's /realtime proxy with a device token as the "API key". Prints one line per
check and exits non-zero on the first failure.
"""

import sys

from openai import OpenAI


def converse(base_url: str, key: str, question: str) -> str:
    client = OpenAI(base_url=base_url, api_key=key)
    with client.realtime.connect(model="gpt-realtime") as conn:
        first = conn.recv()
        assert first.type == "session.created", first.type
        conn.session.update(session={"type": "realtime", "output_modalities": ["text"]})
        # A proxy may state its own settings first: wait for the update that answers ours.
        for event in conn:
            assert event.type != "error", event
            if event.type == "session.updated" and event.session.output_modalities == ["text"]:
                break
        conn.conversation.item.create(
            item={"type": "message", "role": "user", "content": [{"type": "input_text", "text": question}]}
        )
        conn.response.create()
        deltas, done_text = [], None
        for event in conn:
            assert event.type != "error", event
            if event.type == "response.output_text.delta":
                deltas.append(event.delta)
            elif event.type == "response.output_text.done":
                done_text = event.text
            elif event.type == "response.done":
                assert event.response.status == "completed", event.response.status
                break
        text = "".join(deltas)
        assert text == done_text, (text, done_text)
        return text


def main() -> int:
    if sys.argv[1] == "--proxy":
        gateway_url, token = sys.argv[2], sys.argv[3]
        answer = converse(gateway_url, token, "Are you open on Sunday?")
        assert answer == "On Sunday we're closed.", answer
        print("ok: text conversation through the gateway's proxy:", answer)
        return 0
    base_url, engine_key = sys.argv[1], sys.argv[2]
    admin = OpenAI(base_url=base_url, api_key=engine_key)
    secret = admin.realtime.client_secrets.create(
        expires_after={"anchor": "created_at", "seconds": 600},
        session={"type": "realtime", "model": "gpt-realtime", "output_modalities": ["text"]},
    )
    assert secret.value.startswith("ek_"), secret.value
    print("ok: minted a client secret")

    answer = converse(base_url, secret.value, "What's the wifi password?")
    assert "HarborGuest" in answer, answer
    print("ok: text conversation with the client secret:", answer)

    answer = converse(base_url, engine_key, "Are you open on Sunday?")
    assert answer == "On Sunday we're closed.", answer
    print("ok: text conversation with the engine key:", answer)
    return 0


if __name__ == "__main__":
    sys.exit(main())
