"""The gradio web app."""
