"""Procedural Sprites: shapes, identities, split, labels, and that factors change pixels."""
import numpy as np
import pytest

from dsae.data import sprites


def test_constants():
    assert sprites.N_VARIANTS == 6 and sprites.ATTRIBUTES == ("skin", "top", "pants", "hair")
    assert len(sprites.ACTIONS) == 9 and len(set(sprites.ACTIONS)) == 9
    assert sprites.ACTIONS[0] == "walk_front"


def test_identities_unique_and_invertible():
    attrs = [sprites.identity_attributes(i) for i in range(1296)]
    assert len(set(attrs)) == 1296
    assert all(0 <= v < 6 for a in attrs for v in a)
    s, t, p, h = attrs[1000]
    assert ((s * 6 + t) * 6 + p) * 6 + h == 1000
    with pytest.raises(ValueError):
        sprites.identity_attributes(1296)


def test_split():
    train, test = sprites.split_identities()
    assert train.shape == (1000,) and test.shape == (296,)
    assert not set(train) & set(test) and len(set(train) | set(test)) == 1296
    t2, _ = sprites.split_identities()
    assert np.array_equal(train, t2)
    assert not np.array_equal(train, sprites.split_identities(seed=1)[0])


def test_render_shape_and_content():
    seq = sprites.render(123, 4)
    assert seq.shape == (8, 64, 64, 3) and seq.dtype == np.uint8
    assert (seq[:, 0, 0] == 0).all()  # black background
    lit = (seq.max(-1) > 0).mean()
    assert 0.08 < lit < 0.4  # a character, not an empty or full frame
    assert len({f.tobytes() for f in seq}) > 2  # it moves


def test_actions_differ():
    seqs = [sprites.render(500, a) for a in range(9)]
    for a in range(9):
        for b in range(a + 1, 9):
            assert not np.array_equal(seqs[a], seqs[b]), (a, b)


@pytest.mark.parametrize("attr", range(4))
def test_each_attribute_changes_pixels(attr):
    base = [2, 2, 2, 2]
    seqs = []
    for v in range(6):
        a = list(base)
        a[attr] = v
        s, t, p, h = a
        seqs.append(sprites.render(((s * 6 + t) * 6 + p) * 6 + h, 0))
    for i in range(6):
        for j in range(i + 1, 6):
            assert not np.array_equal(seqs[i], seqs[j])


def test_hair_shapes_differ_not_just_colour():
    def hair_mask(h):
        seq = sprites.render(h, 6)  # skin 0, top 0, pants 0, hair h
        return np.all(seq == np.array(sprites.HAIR[h], np.uint8), axis=-1)  # (8, 64, 64)
    masks = [hair_mask(h) for h in range(6)]
    for i in range(6):
        assert masks[i].sum() > 20
        for j in range(i + 1, 6):
            assert (masks[i] != masks[j]).sum() > 20


def test_generate_labels():
    ids = [7, 300, 1295]
    frames, labels = sprites.generate(ids, actions=[0, 5, 8])
    assert frames.shape == (9, 8, 64, 64, 3)
    assert set(labels) == {"skin", "top", "pants", "hair", "action", "identity"}
    assert list(labels["identity"]) == [7, 7, 7, 300, 300, 300, 1295, 1295, 1295]
    assert list(labels["action"]) == [0, 5, 8] * 3
    for k in range(9):
        attrs = sprites.identity_attributes(labels["identity"][k])
        assert tuple(int(labels[n][k]) for n in sprites.ATTRIBUTES) == attrs
        assert np.array_equal(frames[k], sprites.render(labels["identity"][k], labels["action"][k]))
    calls = []
    sprites.generate([1, 2], progress=calls.append)
    assert sum(calls) == 18
