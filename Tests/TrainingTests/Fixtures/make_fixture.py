# Writes tiny.safetensors with the reference implementation (pip install safetensors numpy).
# Not a dependency: the file it makes is committed, and TrainingTests reads it.
import numpy as np
from safetensors.numpy import save_file

tensors = {
    "W1": np.arange(6, dtype=np.float64).reshape(2, 3) / 4 - 0.5,   # [[-0.5, -0.25, 0], [0.25, 0.5, 0.75]]
    "b1": np.array([1e-300, -2.5, np.pi], dtype=np.float64),
    "scale": np.array(3.0, dtype=np.float64),                       # shape (), one value
    "half": np.array([1.5, -0.125], dtype=np.float32),
}
save_file(tensors, "tiny.safetensors", metadata={"model": "fixture", "seed": "7"})
