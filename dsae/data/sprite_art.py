"""Pixel-art drawing of the procedural Sprites characters (used by dsae.data.sprites).

A character frame is drawn once per (action, hair shape, frame) as a *label map*: a
64×64 uint8 image whose values name body-part materials (skin, top, pants, hair, …).
Colours come later from a per-identity palette, so the 1,296 identities share 432 label
maps and rendering a sequence is one table look-up. Top pattern, sleeve length and shorts
are palette choices too (e.g. the forearm material is painted skin or top colour).

Drawing uses a tiny rasteriser: each primitive is a boolean mask over pixel centres
(x = column, y = row, y down), and every body part is painted over a 1-pixel dark outline
so that overlapping parts of the same colour stay distinguishable.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

SIZE = 64
T = 8
DIRECTIONS = ("front", "left", "right")
MOVES = ("walk", "spellcast", "slash")
HAIR_SHAPES = ("short", "long", "spiky", "mohawk", "ponytail", "bun")

# label-map materials; sprites.py gives each a colour per identity
(BG, OUTLINE, SKIN, SKIN_SHADE, EYE, MOUTH, TOP, TOP_SHADE, TOP_STRIPE, TOP_TRIM, FOREARM,
 FOREARM_SHADE, PANTS, PANTS_SHADE, SHIN, SHIN_SHADE, SHOE, BELT, HAIR, HAIR_SHADE,
 BLADE, HILT, MAGIC, MAGIC_CORE) = range(24)
N_LABELS = 24

_Y, _X = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32)  # pixel centres, (64, 64) each


# --- rasteriser: each shape is a function g -> mask, g = how far to grow it (outline) ---
def ellipse(cx, cy, rx, ry):
    return lambda g=0.0: ((_X - cx) / (rx + g)) ** 2 + ((_Y - cy) / (ry + g)) ** 2 <= 1.0


def rect(x0, y0, x1, y1):
    return lambda g=0.0: (_X >= x0 - g) & (_X <= x1 + g) & (_Y >= y0 - g) & (_Y <= y1 + g)


def capsule(p, q, r):
    """Thick line segment p-q with round caps (limbs, blades)."""
    p, q = np.asarray(p, np.float32), np.asarray(q, np.float32)
    d = q - p
    u = np.clip(((_X - p[0]) * d[0] + (_Y - p[1]) * d[1]) / max(float(d @ d), 1e-6), 0, 1)
    dist = np.hypot(_X - p[0] - u * d[0], _Y - p[1] - u * d[1])
    return lambda g=0.0: dist <= r + g


def triangle(a, b, c):
    """Filled triangle (hair spikes); grown by moving edges outwards."""
    pts = np.asarray([a, b, c], np.float32)
    if np.cross(pts[1] - pts[0], pts[2] - pts[0]) < 0:
        pts = pts[::-1]
    def mask(g=0.0):
        m = np.ones((SIZE, SIZE), bool)
        for p, q in zip(pts, np.roll(pts, -1, axis=0)):
            e = q - p
            m &= (e[0] * (_Y - p[1]) - e[1] * (_X - p[0])) / np.hypot(*e) >= -g
        return m
    return mask


def union(*shapes):
    return lambda g=0.0: np.logical_or.reduce([s(g) for s in shapes])


class Canvas:
    """A label map being painted back to front."""

    def __init__(self):
        self.lab = np.zeros((SIZE, SIZE), np.uint8)  # (64, 64)

    def part(self, shape, label, outline=True, keep=()):
        """Paint `shape` with `label` over a 1-px outline; the outline spares `keep` labels."""
        if outline:
            ring = shape(1.0)
            for k in keep:
                ring &= self.lab != k
            self.lab[ring] = OUTLINE
        self.lab[shape()] = label

    def recolour(self, mask, old, new):
        self.lab[mask & (self.lab == old)] = new


# --- body parts ------------------------------------------------------------------
def _unit(deg, sign=1.0):
    """Direction at `deg` from straight down; sign=-1 mirrors it to the left."""
    a = np.deg2rad(deg)
    return np.array([sign * np.sin(a), np.cos(a)], np.float32)


def arm(cv, shoulder, a1, a2, sign, shade=False, scale=1.0):
    """Upper arm (sleeve) at a1°, forearm at a2°, hand at the end. -> hand position, forearm dir."""
    elbow = shoulder + 6.0 * scale * _unit(a1, sign)
    hand = elbow + 6.0 * scale * _unit(a2, sign)
    cv.part(capsule(shoulder, elbow, 2.1), TOP_SHADE if shade else TOP)
    cv.part(capsule(elbow, hand, 1.7), FOREARM_SHADE if shade else FOREARM)
    cv.part(ellipse(*hand, 1.8, 1.8), SKIN_SHADE if shade else SKIN)
    return hand, _unit(a2, sign)


def leg(cv, hip, foot, toe_dx=0.0, bend=0.0, shade=False):
    """Thigh hip->knee (pants), shin knee->foot (pants or skin), shoe; knee pushed `bend` px forward."""
    hip, foot = np.asarray(hip, np.float32), np.asarray(foot, np.float32)
    knee = (hip + foot) / 2 + np.array([bend, 0], np.float32)
    cv.part(capsule(hip, knee, 2.6), PANTS_SHADE if shade else PANTS)
    cv.part(capsule(knee, foot, 2.3), SHIN_SHADE if shade else SHIN)
    cv.part(ellipse(foot[0] + toe_dx, foot[1] + 1.2, 3.0 + abs(toe_dx) / 2, 1.8), SHOE)


def torso(cv, cx, top, side):
    half = 5.5 if side else 7.5
    cv.part(union(ellipse(cx, top + 4, half, 4.5), rect(cx - half, top + 4, cx + half, top + 13)), TOP)
    stripes = ((_Y - top - 3) % 4 < 2) & (_Y < top + 11)
    cv.recolour(stripes, TOP, TOP_STRIPE)
    cv.recolour(ellipse(cx + (2 if side else 0), top, 3.5, 2.5)(), TOP, TOP_TRIM)  # collar
    cv.recolour(rect(cx - half, top + 11, cx + half, top + 12)(), TOP, BELT)


def head(cv, cx, cy, side):
    cv.part(rect(cx - 2, cy + 5, cx + 2, cy + 9), SKIN_SHADE)  # neck
    cv.part(ellipse(cx, cy, 6.5 if side else 7.0, 7.5), SKIN)
    if side:  # facing +x: one eye, nose, mouth
        cv.part(rect(cx + 3, cy, cx + 3, cy + 1), EYE, outline=False)
        cv.part(rect(cx + 7, cy + 2, cx + 7, cy + 3), SKIN, outline=False)
        cv.part(rect(cx + 4, cy + 4, cx + 5, cy + 4), MOUTH, outline=False)
    else:
        for ex in (cx - 3, cx + 3):
            cv.part(rect(ex, cy, ex, cy + 1), EYE, outline=False)
        cv.part(rect(cx - 1, cy + 4, cx + 1, cy + 4), MOUTH, outline=False)


def hair(cv, shape, cx, cy, side, layer):
    """Hair behind the head (layer 'back') or over it ('front'); shape in HAIR_SHAPES."""
    h = HAIR_SHAPES.index(shape)
    if layer == "back":
        if h == 1:  # long: falls to the shoulders (behind the back when seen from the side)
            x0, x1 = (cx - 8, cx) if side else (cx - 9, cx + 9)
            cv.part(union(ellipse(cx - (1 if side else 0), cy, 8.0, 8.5),
                          rect(x0, cy, x1, cy + 12)), HAIR)
        elif h == 4:  # ponytail
            root, tip = ((cx - 6, cy - 3), (cx - 10, cy + 9)) if side else ((cx + 5, cy - 1), (cx + 8, cy + 10))
            cv.part(capsule(root, tip, 2.3), HAIR)
            cv.part(ellipse(*root, 1.6, 1.6), HAIR_SHADE)
        elif h == 5:  # bun
            cv.part(ellipse(cx - 3 if side else cx, cy - 8.5, 3.8, 3.3), HAIR)
        return
    rx = 6.5 if side else 7.0
    grown = ellipse(cx - (0.5 if side else 0), cy - 0.8, rx + 1.0, 8.4)
    if h == 3:  # mohawk: a crest standing on a shaved head
        if side:
            crest = lambda g=0.0: ellipse(cx - 2, cy - 2, 5.5, 10.5)(g) & rect(0, 0, SIZE, cy - 3)(g)
        else:
            crest = lambda g=0.0: ellipse(cx, cy - 1, rx, 11.5)(g) & rect(cx - 1.5, 0, cx + 1.5, cy - 4)(g)
        cv.part(crest, HAIR, keep=(SKIN,))
        cv.recolour(_Y < cy - 10, HAIR, HAIR_SHADE)
        return
    if side:  # covers the top and back of the head, leaves the face
        cap = lambda g=0.0: grown(g) & ((_Y < cy - 2.5 + g) | (_X < cx - 0.5 + g))
    else:  # fringe line plus sideburns
        low = cy + (6 if h == 1 else 1)
        cap = lambda g=0.0: grown(g) & ((_Y < cy - 2.5 + g) | ((np.abs(_X - cx) > rx - 1.5 - g) & (_Y < low + g)))
    cv.part(cap, HAIR, keep=(SKIN,))
    if side and h != 1:
        cv.part(ellipse(cx - 1.5, cy + 1, 1.0, 1.5), SKIN_SHADE, outline=False)  # ear
    if h == 2:  # spiky
        tips = [(-6, -9), (-3, -13), (0, -11), (3, -13), (6, -9)] if not side else \
               [(-7, -8), (-4, -12), (-1, -13), (2, -11), (5, -8)]
        for dx, dy in tips:
            cv.part(triangle((cx + dx - 2.5, cy - 5), (cx + dx + 2.5, cy - 5), (cx + dx, cy + dy)), HAIR)
        cv.part(cap, HAIR, outline=False)
    if h == 5:  # bun: tie it on
        cv.recolour(rect(cx - 6 if side else cx - 3, cy - 6.5, cx if side else cx + 3, cy - 6)(), HAIR, HAIR_SHADE)


# --- poses -------------------------------------------------------------------------
def _pose(move, side, t):
    """Per-frame joint angles. Arms (a1, a2) in degrees from straight down (front: outwards,
    side: forwards); the first arm is the far/left one, the second holds the sword."""
    s = np.sin(2 * np.pi * t / T)
    p = dict(dy=0, arms=[(10, 10), (10, 10)], legs=[0.0, 0.0], sword=False, magic=0.0)
    if move == "walk":
        if side:
            p["legs"] = [-28 * s, 28 * s]  # leg angles, forwards positive
            p["arms"] = [(25 * s, 35 * s), (-25 * s, -15 * s)]
            p["dy"] = int(round(15 * (1 - np.cos(np.deg2rad(28 * abs(s))))))
        else:
            p["legs"] = [4.5 * max(0, s), 4.5 * max(0, -s)]  # foot lifts (px)
            p["arms"] = [(8, 8), (8, 8)]
            p["swing"] = [45 * s, -45 * s]  # towards the viewer: foreshortened
            p["dy"] = -int(round(abs(s)))
    elif move == "spellcast":
        up1 = [10, 45, 95, 130, 140, 140, 95, 40][t]
        up2 = [10, 65, 135, 185, 200, 200, 130, 55][t] if not side else up1 + [0, 10, 20, 25, 25, 25, 15, 5][t]
        p["arms"] = [(up1 - (8 if side else 0), up2 - (8 if side else 0)), (up1, up2)]
        p["magic"] = [0, 0, 0, 1.5, 3.5, 4.5, 2.0, 0][t]
    else:  # slash: wind up over the head, then strike across/forwards
        if side:
            a = [(20, 50), (80, 110), (150, 180), (175, 200), (120, 100), (70, 60), (40, 40), (25, 50)][t]
            p["legs"] = [0.0, [0, 0, 0, 5, 15, 18, 12, 4][t]]
        else:
            a = [(15, 30), (70, 110), (130, 175), (150, 195), (70, 45), (-15, -45), (-30, -60), (0, 20)][t]
        p["arms"] = [(10, 10), a]
        p["sword"] = True
    return p


def draw(move, direction, hair_shape, t):
    """One label map (64, 64) uint8; 'left' is the mirror image of 'right'."""
    if direction == "left":
        return draw(move, "right", hair_shape, t)[:, ::-1].copy()
    side = direction == "right"
    p = _pose(move, side, t)
    cv, cx, dy = Canvas(), 32.0, p["dy"]
    hy, top, hip_y = 16 + dy, 24 + dy, 37 + dy
    held = None
    if side:
        arm(cv, np.array([cx, top + 3], np.float32), *p["arms"][0], 1.0, shade=True)
        a_back, a_front = (np.deg2rad(a) for a in p["legs"])
        for a, shade in ((a_back, True), (a_front, False)):
            foot = (cx + 15 * np.sin(a), hip_y + 15 * np.cos(a))
            bend = 2.0 * max(0.0, np.sin(a)) if move == "walk" else 0.0
            leg(cv, (cx, hip_y), foot, toe_dx=1.5, bend=bend, shade=shade)
        hair(cv, hair_shape, cx, hy, True, "back")
        torso(cv, cx, top, True)
        head(cv, cx, hy, True)
        hair(cv, hair_shape, cx, hy, True, "front")
        held = arm(cv, np.array([cx, top + 3], np.float32), *p["arms"][1], 1.0)
    else:
        hair(cv, hair_shape, cx, hy, False, "back")
        for x, lift in zip((cx - 3, cx + 3), p["legs"]):
            leg(cv, (x, hip_y), (x, 52 - lift))
        torso(cv, cx, top, False)
        swing = p.get("swing", [0, 0])
        for k, (sign, x) in enumerate(((-1.0, cx - 6), (1.0, cx + 6))):  # viewer's left arm holds the sword
            sc = float(np.cos(np.deg2rad(swing[k])))
            arm_k = arm(cv, np.array([x, top + 3], np.float32), *p["arms"][1 - k], sign, scale=sc)
            if k == 0:
                held = arm_k
        head(cv, cx, hy, False)
        hair(cv, hair_shape, cx, hy, False, "front")
    hand, fdir = held
    if p["sword"]:
        cv.part(capsule(hand + 2.0 * fdir, hand + 14.0 * fdir, 1.0), BLADE)
        ortho = np.array([-fdir[1], fdir[0]], np.float32)
        cv.part(capsule(hand + 1.8 * fdir - 2.5 * ortho, hand + 1.8 * fdir + 2.5 * ortho, 0.8), HILT)
        cv.part(ellipse(*hand, 1.8, 1.8), SKIN)
    if p["magic"]:
        r = p["magic"]
        centre = (cx + 14, top - 8) if side else (cx, hy - 13 + (0 if r > 3 else 2))
        cv.part(ellipse(*centre, r, r), MAGIC)
        cv.part(ellipse(*centre, r / 2, r / 2), MAGIC_CORE, outline=False)
    return cv.lab


@lru_cache(maxsize=1)
def label_maps() -> np.ndarray:
    """All label maps. -> uint8 (9 actions, 6 hair shapes, T, 64, 64), action = move*3 + direction."""
    out = np.empty((len(MOVES) * len(DIRECTIONS), len(HAIR_SHAPES), T, SIZE, SIZE), np.uint8)
    for m, move in enumerate(MOVES):
        for d, direction in enumerate(DIRECTIONS):
            for h, shape in enumerate(HAIR_SHAPES):
                for t in range(T):
                    out[m * 3 + d, h, t] = draw(move, direction, shape, t)
    out.setflags(write=False)
    return out
