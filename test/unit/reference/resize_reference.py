#!/usr/bin/env python3
"""Reference values for test/unit/slice.test.ts: Pillow's Image.resize(BILINEAR).

Run with Debian's Pillow (python3-pil 9.4, the version torchvision 0.14 uses):
    /usr/bin/python3 test/unit/reference/resize_reference.py
and paste the printed JSON into PIL_CASES. The images are a fixed formula, the
same one the test builds, so no pixels need to be stored.
"""
import json

import numpy as np
from PIL import Image


def image(h, w, c, seed):
    a = np.zeros((h, w, c), dtype=np.uint8)
    for y in range(h):
        for x in range(w):
            for ch in range(c):
                a[y, x, ch] = (x * 37 + y * 91 + ch * 53 + seed * 17 + (x * y) % 7 * 29) % 256
    return a


cases = []
for (h, w, c, oh, ow, seed) in [(28, 28, 1, 7, 7, 1), (28, 28, 1, 16, 16, 2), (9, 5, 3, 4, 3, 3), (6, 6, 1, 10, 10, 4), (12, 8, 3, 12, 5, 5)]:
    a = image(h, w, c, seed)
    im = Image.fromarray(a[:, :, 0] if c == 1 else a, 'L' if c == 1 else 'RGB')
    out = np.asarray(im.resize((ow, oh), Image.BILINEAR)).reshape(-1)
    cases.append({'shape': [h, w, c], 'out': [oh, ow], 'seed': seed, 'expected': out.tolist()})
print(json.dumps(cases))
