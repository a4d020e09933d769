"""The Gradio user interface."""
