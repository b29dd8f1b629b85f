"""Write the bundled demo photo ``coffee.jpg`` from scikit-image's ``data.coffee()``.

The photo is by Rachel Michetti (courtesy of Pikolo Espresso Bar), released under CC0 ("No copyright
restrictions. CC0 by the photographer") as stated in scikit-image's ``skimage.data.coffee`` docstring.
Run: ``.venv/bin/python server/make/data/make_photo.py``.
"""

from pathlib import Path

from PIL import Image
from skimage import data

if __name__ == "__main__":
    dest = Path(__file__).with_name("coffee.jpg")
    Image.fromarray(data.coffee()).save(dest, quality=88, optimize=True)
    print(dest)
