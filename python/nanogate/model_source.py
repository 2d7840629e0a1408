"""Turning what a user hands to nanogate (a path, an onnx.ModelProto, bytes, a
torch.nn.Module or a keras.Model) into what the C++ core reads: serialized
ONNX/QONNX bytes, or a Keras model file (read by the core's Keras frontend)."""
import os
import tempfile
from pathlib import Path


def _is_brevitas(module) -> bool:
    return any(type(m).__module__.startswith("brevitas.") for m in module.modules())


def _export_torch(module, input_shape):
    """Exports a torch.nn.Module: Brevitas modules through Brevitas' QONNX export,
    plain PyTorch through torch.onnx.export (opset 13). input_shape is the shape
    of one event (without the batch dimension)."""
    import torch

    if input_shape is None:
        raise ValueError("converting a torch.nn.Module needs input_shape (the shape of one event, without the batch)")
    dummy = torch.zeros((1, *tuple(input_shape)), dtype=torch.float32)
    was_training = module.training
    module.eval()
    try:
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "model.onnx")
            if _is_brevitas(module):
                from brevitas.export import export_qonnx

                export_qonnx(module, input_t=dummy, export_path=path)
            else:
                torch.onnx.export(module, (dummy,), path, opset_version=13, input_names=["x"], output_names=["y"],
                                  dynamic_axes={"x": {0: "N"}, "y": {0: "N"}}, dynamo=False)
            import onnx

            m = onnx.load(path)  # pulls in any external-data side file
            return m.SerializeToString(), f"<torch {type(module).__name__}>"
    finally:
        module.train(was_training)


_HDF5 = b"\x89HDF\r\n\x1a\n"


def is_keras_file(path) -> bool:
    """True when the file's content is a Keras model (.keras zip, HDF5, or a
    Keras JSON architecture), as the C++ core detects it."""
    with open(path, "rb") as f:
        head = f.read(4096)
    if head.startswith(b"PK\x03\x04") or head.startswith(_HDF5):
        return True
    text = head.lstrip()
    return text.startswith(b"{") and b'"class_name"' in head and b'"config"' in head


def _is_keras_model(model) -> bool:
    return any(c.__module__.startswith("keras") for c in type(model).__mro__) and hasattr(model, "save")


def save_keras(model) -> str:
    """Saves an in-memory keras.Model to a temporary `.keras` file (the core
    reads it with the same C++ reader as any file); returns its path."""
    fd, path = tempfile.mkstemp(suffix=".keras", prefix="nanogate_")
    os.close(fd)
    os.unlink(path)  # keras refuses to overwrite without asking
    model.save(path)
    return path


def model_bytes(model, input_shape=None):
    """Returns (serialized ONNX bytes, a name for messages) for a path, an
    onnx.ModelProto, bytes, or a torch.nn.Module (exported with input_shape)."""
    if isinstance(model, (str, os.PathLike)):
        p = Path(model)
        return p.read_bytes(), str(model)
    if isinstance(model, (bytes, bytearray)):
        return bytes(model), "<bytes>"
    try:
        import onnx

        if isinstance(model, onnx.ModelProto):
            return model.SerializeToString(), f"<onnx.ModelProto {model.graph.name or 'graph'}>"
    except ImportError:
        pass
    try:
        import torch

        if isinstance(model, torch.nn.Module):
            return _export_torch(model, input_shape)
    except ImportError:
        pass
    raise TypeError(f"cannot convert a {type(model).__name__}: pass a path, an onnx.ModelProto, bytes, "
                    "a torch.nn.Module or a keras.Model")
