"""One module per command (or small family of commands); `cli` wires them into argparse."""
