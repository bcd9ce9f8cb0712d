"""Small text helpers shared by every layer: the nearest names to a mistyped one."""
