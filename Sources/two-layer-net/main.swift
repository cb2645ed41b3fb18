print("two-layer-net")
