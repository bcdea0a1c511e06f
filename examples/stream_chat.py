"""A Chatbot streaming its reply token by token, with a Stop button.

Each yield sends only the new text of the last message, not the history.

Run: python examples/stream_chat.py
"""

import time

import reactive_blocks as gr

REPLY = "Thanks for your message! Streaming this reply one token at a time."


def respond(message, history):
    history = [*history, {"role": "user", "content": message}]
    history.append({"role": "assistant", "content": ""})
    for token in REPLY.split(" "):
        history[-1]["content"] += token + " "
        time.sleep(0.08)
        yield history, ""


with gr.Blocks(title="Streaming chat") as demo:
    chat = gr.Chatbot(label="Chat", height=360)
    message = gr.Textbox(label="Message", placeholder="Say something and press Enter")
    stop = gr.Button("Stop", variant="stop")
    replying = message.submit(respond, [message, chat], [chat, message])
    stop.click(None, cancels=[replying])

if __name__ == "__main__":
    demo.launch()
