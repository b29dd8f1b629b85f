"""From detector and classifier labels to sound-producing objects: one table (mido's habit).

Each entry of :data:`SOUND_TABLE` says what a labelled object sounds like: the source name, its
typical material, and one or two variants (play method, timbre words, the role it suggests).
Labels mapped to ``None`` in :data:`SILENT` make no useful sound and are dropped. Detector labels
(COCO, as SSD-MobileNet, YOLO and DETR name them) are looked up through :func:`sound_for_label`;
ImageNet classifier labels through :func:`sound_for_imagenet`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class SoundEntry:
    name: str
    material: str
    variants: tuple[tuple[str, tuple[str, ...], str | None], ...]  # (play method, timbre, role)


def _e(name: str, material: str, *variants: tuple[str, tuple[str, ...], str | None]) -> SoundEntry:
    return SoundEntry(name, material, tuple(variants))


# key: canonical (COCO-style) label
SOUND_TABLE: dict[str, SoundEntry] = {
    "person": _e("person", "human body", ("footsteps and hand claps", ("dry", "rhythmic"), "drums"),
                 ("humming voice", ("warm", "soft", "tonal"), "keyboard")),
    "bicycle": _e("bicycle", "steel frame and spokes", ("bell ring", ("bright", "ringing", "metallic"), "keyboard"),
                  ("spokes plucked", ("twangy", "metallic"), "guitar")),
    "car": _e("car", "steel body and engine", ("engine idling", ("low", "rumbling", "steady"), "bass"),
              ("door slam", ("heavy", "thud"), "drums")),
    "motorcycle": _e("motorcycle", "metal engine and exhaust", ("engine revving", ("low", "growling", "rumbling"), "bass"),
                     ("hand tapping the fuel tank", ("metallic", "hollow", "sharp"), "drums")),
    "airplane": _e("airplane", "aluminium fuselage and jet engines", ("jet engine roar", ("deep", "roaring", "broad"), "bass")),
    "bus": _e("bus", "steel body and diesel engine", ("diesel engine hum", ("low", "humming"), "bass"),
              ("air brakes hiss", ("hissing", "airy"), "drums")),
    "train": _e("train", "steel wheels on rails", ("wheels clacking on rail joints", ("rhythmic", "metallic", "clanking"), "drums"),
                ("horn", ("deep", "sustained", "tonal"), "keyboard")),
    "truck": _e("truck", "steel body and diesel engine", ("engine rumbling", ("deep", "rumbling"), "bass")),
    "boat": _e("boat", "wooden or fibreglass hull", ("hull knocking on water", ("hollow", "wooden", "knocking"), "drums"),
               ("outboard motor", ("low", "buzzing"), "bass")),
    "traffic light": _e("traffic light", "metal housing and electronics", ("crossing signal beep", ("pure", "beeping", "tonal"), "keyboard")),
    "fire hydrant": _e("fire hydrant", "cast iron", ("struck with a wrench", ("metallic", "ringing", "heavy"), "keyboard")),
    "stop sign": _e("stop sign", "sheet metal on a steel pole", ("pole struck with a knuckle", ("metallic", "ringing"), "drums")),
    "parking meter": _e("parking meter", "steel housing", ("coins dropping", ("metallic", "clinking"), "drums")),
    "bench": _e("bench", "wooden slats on a metal frame", ("slats knocked", ("wooden", "hollow", "dry"), "drums")),
    "bird": _e("bird", "feathers and voice", ("birdsong", ("chirping", "bright", "melodic"), "keyboard"),
               ("wings flapping", ("fluttering", "soft"), "drums")),
    "cat": _e("cat", "fur and voice", ("purring", ("low", "soft", "purring"), "bass"),
              ("meowing", ("high", "nasal", "tonal"), "guitar")),
    "dog": _e("dog", "fur and voice", ("barking", ("sharp", "loud", "barking"), "drums"),
              ("low growl", ("low", "growling"), "bass")),
    "horse": _e("horse", "hooves on ground", ("hooves clopping", ("rhythmic", "hollow", "clopping"), "drums"),
                ("neighing", ("tonal", "loud"), "keyboard")),
    "sheep": _e("sheep", "wool and voice", ("bleating", ("nasal", "wavering", "tonal"), "guitar")),
    "cow": _e("cow", "voice and cowbell", ("mooing", ("low", "deep", "sustained"), "bass"),
              ("cowbell clanking", ("metallic", "hollow", "clanking"), "drums")),
    "elephant": _e("elephant", "voice and heavy feet", ("trumpeting", ("loud", "brassy"), "keyboard"),
                   ("heavy footsteps", ("deep", "thumping"), "bass")),
    "bear": _e("bear", "fur and voice", ("growling", ("deep", "growling", "low"), "bass")),
    "zebra": _e("zebra", "hooves and voice", ("hooves on dry ground", ("rhythmic", "dry"), "drums")),
    "giraffe": _e("giraffe", "hooves and long neck", ("hooves on dry ground", ("soft", "thudding"), "drums")),
    "backpack": _e("backpack", "nylon fabric and zips", ("zip pulled", ("zipping", "bright", "scratchy"), "guitar")),
    "umbrella": _e("umbrella", "nylon canopy and metal ribs", ("rain drumming on the canopy", ("pattering", "soft", "rhythmic"), "drums")),
    "handbag": _e("handbag", "leather and metal clasp", ("clasp snapping shut", ("click", "sharp"), "drums")),
    "suitcase": _e("suitcase", "hard plastic shell and wheels", ("wheels rolling on pavement", ("rumbling", "low", "rhythmic"), "bass")),
    "sports ball": _e("ball", "rubber", ("bouncing on the ground", ("thudding", "rubbery", "rhythmic"), "drums")),
    "kite": _e("kite", "fabric and string", ("string humming in the wind", ("humming", "airy", "tonal"), "guitar")),
    "baseball bat": _e("baseball bat", "wood", ("bat cracking a ball", ("sharp", "crack", "wooden"), "drums")),
    "baseball glove": _e("baseball glove", "leather", ("ball popping into the glove", ("thud", "leathery"), "drums")),
    "skateboard": _e("skateboard", "wooden deck and urethane wheels", ("wheels rolling and deck clacking", ("rumbling", "clacking"), "bass")),
    "tennis racket": _e("tennis racket", "strung frame", ("strings plucked", ("twangy", "taut", "plucked"), "guitar")),
    "bottle": _e("bottle", "glass", ("blowing across the neck", ("hollow", "tonal", "breathy"), "keyboard"),
                 ("tapped with a spoon", ("glassy", "clinking", "bright"), "drums")),
    "wine glass": _e("wine glass", "thin glass", ("rim rubbed to sing", ("pure", "ringing", "sustained"), "keyboard")),
    "cup": _e("cup", "ceramic", ("tapped with a spoon", ("bright", "ringing", "ceramic"), "keyboard"),
              ("set down on a saucer", ("clinking", "short"), "drums")),
    "fork": _e("fork", "stainless steel", ("tines plucked", ("metallic", "ringing", "twangy"), "guitar")),
    "knife": _e("knife", "steel blade", ("blade tapped on a board", ("sharp", "dry", "knocking"), "drums")),
    "spoon": _e("spoon", "stainless steel", ("spoons clicked together", ("metallic", "clicking", "rhythmic"), "drums")),
    "bowl": _e("bowl", "ceramic", ("rim struck gently", ("resonant", "ringing", "ceramic"), "keyboard")),
    "chair": _e("chair", "wood or metal frame", ("chair legs scraping the floor", ("scraping", "creaking"), "guitar"),
                ("seat knocked", ("hollow", "wooden"), "drums")),
    "couch": _e("couch", "upholstered frame and springs", ("springs creaking", ("creaking", "springy"), "guitar")),
    "potted plant": _e("potted plant", "leaves and ceramic pot", ("leaves rustling", ("soft", "rustling", "airy"), "drums"),
                       ("pot tapped", ("ceramic", "hollow", "ringing"), "keyboard")),
    "dining table": _e("table", "wooden top", ("knuckles knocking on the top", ("wooden", "dry", "knocking"), "drums"),
                       ("fist thumping the top", ("low", "thumping", "deep"), "bass")),
    "toilet": _e("toilet", "porcelain and water", ("flush", ("rushing", "gurgling", "watery"), "bass")),
    "tv": _e("television", "plastic and glass screen", ("static hiss and dialogue", ("hissy", "muffled"), "keyboard")),
    "laptop": _e("laptop", "aluminium and plastic keys", ("typing on the keys", ("clicky", "rhythmic", "light"), "drums")),
    "mouse": _e("computer mouse", "plastic", ("button clicking", ("click", "short", "plastic"), "drums")),
    "remote": _e("remote control", "plastic buttons", ("button presses", ("click", "soft"), "drums")),
    "keyboard": _e("computer keyboard", "plastic keys", ("typing", ("clicky", "rhythmic"), "drums")),
    "cell phone": _e("phone", "glass and metal handset", ("ringtone", ("bright", "tonal", "melodic"), "keyboard"),
                     ("vibration alert", ("buzzing", "low"), "bass")),
    "microwave": _e("microwave", "steel box", ("finished beep", ("pure", "beeping"), "keyboard"),
                    ("fan hum", ("low", "humming"), "bass")),
    "oven": _e("oven", "steel and glass door", ("door closing", ("heavy", "clunk", "metallic"), "drums")),
    "toaster": _e("toaster", "chrome and springs", ("toast popping up", ("springy", "twang", "metallic"), "guitar")),
    "sink": _e("sink", "stainless steel and water", ("water running into the basin", ("watery", "splashing"), "drums")),
    "refrigerator": _e("refrigerator", "steel cabinet and compressor", ("compressor humming", ("low", "humming", "steady"), "bass")),
    "book": _e("book", "paper pages", ("pages flipping", ("papery", "fluttering", "soft"), "drums")),
    "clock": _e("clock", "metal mechanism", ("ticking", ("ticking", "dry", "rhythmic"), "drums"),
                ("hour chime", ("bell", "ringing", "resonant"), "keyboard")),
    "vase": _e("vase", "glazed ceramic", ("struck with a fingernail", ("ringing", "resonant", "ceramic"), "keyboard")),
    "scissors": _e("scissors", "steel blades", ("blades snipping", ("snipping", "metallic", "sharp"), "drums")),
    "hair drier": _e("hair dryer", "plastic and motor", ("motor blowing", ("whooshing", "buzzing", "steady"), "bass")),
    "toothbrush": _e("toothbrush", "plastic bristles", ("bristles scrubbing", ("scratchy", "rhythmic"), "drums")),
}

# COCO labels that make no useful sound: dropped.
SILENT = frozenset(
    {"tie", "teddy bear", "broccoli", "carrot", "sandwich", "hot dog", "pizza", "donut", "cake", "banana", "apple",
     "orange", "bed", "frisbee", "skis", "snowboard", "surfboard"}
)

# Other spellings (YOLO, DETR, Pascal VOC, ImageNet) -> table key.
ALIASES = {
    "motorbike": "motorcycle", "aeroplane": "airplane", "tvmonitor": "tv", "tv monitor": "tv", "television": "tv",
    "sofa": "couch", "diningtable": "dining table", "table": "dining table", "pottedplant": "potted plant",
    "plant": "potted plant", "mobile phone": "cell phone", "phone": "cell phone", "cellphone": "cell phone",
    "hair dryer": "hair drier", "ball": "sports ball", "people": "person", "man": "person", "woman": "person",
    "boy": "person", "girl": "person", "child": "person", "mug": "cup", "glass": "wine glass",
}

# COCO ids as TensorFlow's object-detection models number them (1-based, with gaps).
COCO_TF_LABELS = {
    1: "person", 2: "bicycle", 3: "car", 4: "motorcycle", 5: "airplane", 6: "bus", 7: "train", 8: "truck", 9: "boat",
    10: "traffic light", 11: "fire hydrant", 13: "stop sign", 14: "parking meter", 15: "bench", 16: "bird", 17: "cat",
    18: "dog", 19: "horse", 20: "sheep", 21: "cow", 22: "elephant", 23: "bear", 24: "zebra", 25: "giraffe",
    27: "backpack", 28: "umbrella", 31: "handbag", 32: "tie", 33: "suitcase", 34: "frisbee", 35: "skis",
    36: "snowboard", 37: "sports ball", 38: "kite", 39: "baseball bat", 40: "baseball glove", 41: "skateboard",
    42: "surfboard", 43: "tennis racket", 44: "bottle", 46: "wine glass", 47: "cup", 48: "fork", 49: "knife",
    50: "spoon", 51: "bowl", 52: "banana", 53: "apple", 54: "sandwich", 55: "orange", 56: "broccoli", 57: "carrot",
    58: "hot dog", 59: "pizza", 60: "donut", 61: "cake", 62: "chair", 63: "couch", 64: "potted plant", 65: "bed",
    67: "dining table", 70: "toilet", 72: "tv", 73: "laptop", 74: "mouse", 75: "remote", 76: "keyboard",
    77: "cell phone", 78: "microwave", 79: "oven", 80: "toaster", 81: "sink", 82: "refrigerator", 84: "book",
    85: "clock", 86: "vase", 87: "scissors", 88: "teddy bear", 89: "hair drier", 90: "toothbrush",
}


def canonical_label(label: str) -> str:
    key = re.sub(r"[_\-]+", " ", label.strip().lower())
    key = re.sub(r"^(a|an|the)\s+", "", key)
    return ALIASES.get(key, key)


def sound_for_label(label: str) -> SoundEntry | None:
    """The sound of a detector label, or None when the object is silent or unknown."""
    key = canonical_label(label)
    if key in SILENT:
        return None
    if key in SOUND_TABLE:
        return SOUND_TABLE[key]
    if key.endswith("s") and key[:-1] in SOUND_TABLE:  # plural
        return SOUND_TABLE[key[:-1]]
    return None


# ImageNet (ILSVRC-2012, 0-based) index ranges and keywords -> table key.
_IMAGENET_RANGES = ((151, 268, "dog"), (281, 285, "cat"), (7, 24, "bird"), (80, 100, "bird"), (127, 146, "bird"))
_IMAGENET_WORDS = (
    (r"\b(espresso|coffee mug|cup|eggnog|teapot|coffeepot)\b", "cup"),
    (r"\b(beer bottle|wine bottle|water bottle|pop bottle|whiskey jug)\b", "bottle"),
    (r"\b(goblet|beer glass)\b", "wine glass"),
    (r"\b(mixing bowl|soup bowl)\b", "bowl"),
    (r"\b(moped|motor scooter|crash helmet|disk brake)\b", "motorcycle"),
    (r"\b(mountain bike|bicycle|tricycle|unicycle)\b", "bicycle"),
    (r"\b(sports car|convertible|cab|limousine|minivan|jeep|racer|beach wagon|car wheel|pickup)\b", "car"),
    (r"\b(school bus|trolleybus|minibus)\b", "bus"),
    (r"\b(airliner|warplane|airship|space shuttle)\b", "airplane"),
    (r"\b(steam locomotive|electric locomotive|passenger car|freight car|bullet train)\b", "train"),
    (r"\b(canoe|speedboat|yawl|catamaran|trimaran|fireboat|gondola|lifeboat|schooner)\b", "boat"),
    (r"\b(wall clock|analog clock|digital clock|stopwatch)\b", "clock"),
    (r"\b(laptop|notebook|computer keyboard|typewriter keyboard|desktop computer)\b", "laptop"),
    (r"\b(cellular telephone|dial telephone|pay-phone)\b", "cell phone"),
    (r"\b(television|monitor|screen)\b", "tv"),
    (r"\b(park bench)\b", "bench"),
    (r"\b(umbrella)\b", "umbrella"),
    (r"\b(pot, flowerpot|vase)\b", "potted plant"),
    (r"\b(dining table|desk)\b", "dining table"),
    (r"\b(folding chair|rocking chair|barber chair|throne)\b", "chair"),
    (r"\b(refrigerator|icebox)\b", "refrigerator"),
    (r"\b(microwave)\b", "microwave"),
    (r"\b(toaster)\b", "toaster"),
    (r"\b(washbasin|sink)\b", "sink"),
    (r"\b(tennis ball|soccer ball|basketball|volleyball|rugby ball|golf ball)\b", "sports ball"),
    (r"\b(sorrel|zebra)\b", "horse"),
    (r"\b(ox|water buffalo)\b", "cow"),
    (r"\b(ram, tup)\b", "sheep"),
    (r"\b(african elephant|indian elephant|tusker)\b", "elephant"),
    (r"\b(brown bear|black bear|ice bear|american black bear)\b", "bear"),
    (r"\b(spacesuit|space suit)\b", "person"),
)


def sound_for_imagenet(index: int, label: str) -> tuple[str, SoundEntry] | None:
    """(table key, entry) for an ImageNet class, or None when it maps to nothing that sounds."""
    for lo, hi, key in _IMAGENET_RANGES:
        if lo <= index <= hi:
            return key, SOUND_TABLE[key]
    low = label.lower()
    for pattern, key in _IMAGENET_WORDS:
        if re.search(pattern, low):
            return key, SOUND_TABLE[key]
    return None
