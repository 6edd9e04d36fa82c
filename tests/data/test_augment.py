"""Image augmentation: each transform against a hand-computed case, the identity, seeding,
the value range, the elastic field's size, and the parameter protocol estimators rely on."""

import pickle

import numpy as np
import pytest

from scratchnet.data import geometry
from scratchnet.data.augment import PRESETS, Augment, BatchAugmenter, get
from scratchnet.errors import ConfigError


def _warp(images, offsets=(0.0, 0.0), fill=-1.0, **params):
    """Deterministic warp of one parameter set applied to every image of ``images``."""
    n = len(images)
    matrices = geometry.inverse_maps(n, **params)
    offsets = np.tile(np.asarray(offsets, float), (n, 1))
    x, y = geometry.sample_coordinates(matrices, offsets, images.shape[1:], images.dtype)
    return geometry.bilinear(images, x, y, fill)


@pytest.fixture
def ramp():
    """Two 5x5 images with distinct pixels: 0..24 and its negative-free double."""
    base = np.arange(25, dtype=np.float32).reshape(5, 5)
    return np.stack([base, 2 * base])


def test_a_one_pixel_shift_right_moves_every_column_and_fills_the_left(ramp):
    shifted = _warp(ramp, offsets=(1.0, 0.0))
    np.testing.assert_array_equal(shifted[:, :, 1:], ramp[:, :, :-1])
    np.testing.assert_array_equal(shifted[:, :, 0], -1.0)


def test_a_one_pixel_shift_down_moves_every_row(ramp):
    shifted = _warp(ramp, offsets=(0.0, 1.0))
    np.testing.assert_array_equal(shifted[:, 1:], ramp[:, :-1])
    np.testing.assert_array_equal(shifted[:, 0], -1.0)


def test_a_half_pixel_shift_averages_neighbours(ramp):
    shifted = _warp(ramp, offsets=(0.5, 0.0))
    np.testing.assert_allclose(shifted[:, :, 1:], (ramp[:, :, 1:] + ramp[:, :, :-1]) / 2)
    np.testing.assert_allclose(shifted[:, :, 0], (ramp[:, :, 0] - 1.0) / 2)


def test_a_90_degree_rotation_turns_the_image_counter_clockwise(ramp):
    rotated = _warp(ramp, rotate=90.0)
    np.testing.assert_allclose(rotated, np.rot90(ramp, axes=(1, 2)), atol=1e-5)
    np.testing.assert_allclose(_warp(ramp, rotate=-90.0), np.rot90(ramp, -1, (1, 2)), atol=1e-5)


def test_a_flip_mirrors_left_to_right_exactly(ramp):
    np.testing.assert_array_equal(_warp(ramp, flip=True), ramp[:, :, ::-1])


def test_a_zoom_of_two_about_the_centre_spreads_pixels_from_it():
    image = np.zeros((1, 5, 5), np.float32)
    image[0, 2, 2], image[0, 2, 3] = 4.0, 8.0  # the centre and its right neighbour
    zoomed = _warp(image, scale=2.0, fill=0.0)[0]
    assert zoomed[2, 2] == 4.0  # the centre stays
    assert zoomed[2, 4] == 8.0  # two pixels right samples one pixel right
    assert zoomed[2, 3] == 6.0  # in between: the mean of the two
    assert zoomed[3, 2] == 2.0  # one below samples half a pixel below: half the centre
    np.testing.assert_array_equal(zoomed[:, 0], 0.0)


def test_a_shear_moves_rows_below_the_centre_right():
    image = np.zeros((1, 5, 5), np.float32)
    image[0, 4, 1] = 1.0  # two rows below the centre
    sheared = _warp(image, shear=np.degrees(np.arctan(0.5)), fill=0.0)[0]
    assert sheared[4, 2] == pytest.approx(1.0)  # moved right by 2 * tan = 1 pixel
    assert sheared.sum() == pytest.approx(1.0)


def test_transforms_compose_in_one_resampling(ramp):
    flipped_and_shifted = _warp(ramp, offsets=(1.0, 0.0), flip=True)
    np.testing.assert_array_equal(flipped_and_shifted[:, :, 1:], ramp[:, :, ::-1][:, :, :-1])


def test_every_transform_off_returns_the_input_itself():
    X = np.random.default_rng(0).random((8, 784), dtype=np.float32)
    assert Augment().identity
    assert Augment(elastic_sigma=2.0, fill=0.0).transform(X, random_state=0) is X


def test_zero_strength_draws_still_resample_bitwise():
    """A zoom of exactly 1 and no offset sample every pixel at its own place."""
    X = np.random.default_rng(0).random((8, 28, 28))
    np.testing.assert_array_equal(_warp(X, fill=0.0), X)


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_the_same_seed_gives_the_same_batch_and_another_seed_another(preset):
    X = np.random.default_rng(0).random((16, 784), dtype=np.float32)
    augment = get(preset)
    first, again = augment.transform(X, 3), augment.transform(X, 3)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, augment.transform(X, 4))
    assert first.shape == X.shape and first.dtype == X.dtype
    assert not np.array_equal(first, X)


@pytest.mark.parametrize(
    "params", [PRESETS["mnist"], {"rotate": 45, "scale": 0.5, "shear": 30}, {"elastic": 3.0}]
)
def test_augmented_pixels_stay_within_the_input_range(params):
    X = np.random.default_rng(1).uniform(-0.5, 2.0, (64, 28, 28)).astype(np.float32)
    out = Augment(**params).transform(X, 0)
    assert out.min() >= X.min() and out.max() <= X.max()
    filled = Augment(**params, fill=5.0).transform(X, 0)
    assert filled.max() <= 5.0 and (filled == 5.0).any()


def test_pixels_moved_in_take_the_batch_minimum_by_default():
    X = np.full((4, 10, 10), 3.0, np.float32)
    X[0, 0, 0] = 1.0
    out = Augment(shift=4).transform(X, 0)
    assert out.min() == 1.0 and (out < 3.0).sum() > 4


def test_the_elastic_field_has_the_asked_rms_displacement():
    augment = Augment(elastic=1.5, elastic_sigma=4.0)
    noise = augment._elastic_noise(400, (28, 28), np.dtype(np.float32), np.random.default_rng(0))
    dx, dy = augment._elastic_field(noise, (28, 28), geometry.Workspace())
    inner = np.concatenate([dx[:, 10:18, 10:18], dy[:, 10:18, 10:18]])
    assert inner.std() == pytest.approx(1.5, rel=0.05)
    neighbours = np.corrcoef(dx[:, 14, 14], dx[:, 14, 15])[0, 1]
    assert neighbours > 0.9  # smooth: a pixel moves with its neighbour
    assert abs(np.corrcoef(dx[:, 14, 14], dy[:, 14, 14])[0, 1]) < 0.15  # axes independent


def test_flat_rows_and_images_give_the_same_result():
    images = np.random.default_rng(0).random((6, 12, 12), dtype=np.float32)
    augment = Augment(**PRESETS["mnist"])
    flat = augment.transform(images.reshape(6, -1), 7)
    np.testing.assert_array_equal(flat.reshape(6, 12, 12), augment.transform(images, 7))


def test_integer_and_half_precision_pixels_come_back_as_float32():
    images = np.random.default_rng(0).integers(0, 256, (3, 28, 28), dtype=np.uint8)
    out = Augment(shift=1).transform(images, 0)
    assert out.dtype == np.float32 and 0 <= out.min() and out.max() <= 255
    half = Augment(shift=1).transform(images.astype(np.float16), 0)
    np.testing.assert_array_equal(half, out)


def test_the_batch_augmenter_reuses_its_buffer_and_leaves_the_batch_alone():
    X = np.random.default_rng(0).random((16, 784), dtype=np.float32)
    before = X.copy()
    augmenter = BatchAugmenter(Augment(shift=2), np.random.default_rng(0))
    first = augmenter(X)
    assert augmenter(X) is first
    np.testing.assert_array_equal(X, before)
    restored = pickle.loads(pickle.dumps(augmenter))
    assert restored._work._arrays == {}
    np.testing.assert_array_equal(restored(X), augmenter(X))  # the generator's state came along


def test_non_square_rows_are_refused_with_their_shape():
    with pytest.raises(ConfigError, match=r"shape \(4, 10\)"):
        Augment(shift=1).transform(np.zeros((4, 10)), 0)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"rotate": -1}, "rotate must be a number from 0 to 180"),
        ({"flip": 1.5}, "flip must be a number from 0 to 1"),
        ({"shift": float("nan")}, "shift must be"),
        ({"scale": True}, "scale must be"),
        ({"fill": float("inf")}, "fill must be a finite number"),
    ],
)
def test_bad_strengths_are_refused_naming_them(params, message):
    with pytest.raises(ConfigError, match=message):
        Augment(**params)
    with pytest.raises(ConfigError, match=message):
        Augment().set_params(**params)


def test_get_takes_presets_dicts_and_objects_and_names_bad_ones():
    assert get(None) is None
    augment = Augment(shift=1)
    assert get(augment) is augment
    assert get({"flip": 0.5}).get_params() == Augment(flip=0.5).get_params()
    assert get("fashion").get_params() == Augment(**PRESETS["fashion"]).get_params()
    with pytest.raises(ConfigError, match="unknown preset 'digits'; valid presets: fashion"):
        get("digits")
    with pytest.raises(ConfigError, match="unknown key 'rotation'"):
        get({"rotation": 5})


def test_parameters_round_trip_and_repr_names_the_changed_ones():
    augment = Augment(shift=2, rotate=10)
    assert Augment(**augment.get_params()).get_params() == augment.get_params()
    assert repr(augment) == "Augment(shift=2, rotate=10)"
    assert augment.set_params(rotate=5) is augment and augment.rotate == 5


def test_the_augmented_grid_writes_a_decodable_png(tmp_path):
    from matplotlib.image import imread

    from scratchnet.data import augmented_grid, save_figure

    X = np.zeros((20, 28, 28), np.float32)
    X[:, 8:20, 12:16] = 1.0  # a bar, so that the copies differ visibly
    fig = augmented_grid(X.reshape(20, -1), "mnist", y=np.arange(20), n=3, copies=4)
    shown = [ax for ax in fig.axes if ax.images]
    assert len(shown) == 3 * 5
    assert [ax.get_title() for ax in shown[::5]] == [str(i) for i in _chosen(20, 3)]
    copies = [ax.images[0].get_array() for ax in shown[1:5]]
    assert not np.array_equal(copies[0], copies[1])
    pixels = imread(save_figure(fig, tmp_path / "augmented.png"))
    assert pixels.ndim == 3 and pixels.shape[0] > 100 and pixels.std() > 0
    with pytest.raises(ConfigError, match="needs an augmentation"):
        augmented_grid(X, None)


def _chosen(n_total: int, n: int) -> list[int]:
    from scratchnet.data.figures import sample_indices

    return sample_indices(n_total, n, random_state=np.random.default_rng(0)).tolist()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_compiled_warp_matches_the_numpy_reference_bitwise(dtype, monkeypatch):
    if geometry._compiled is None:
        pytest.skip("scratchnet.data._warp was not built")
    rng = np.random.default_rng(0)
    images = rng.random((9, 12, 12)).astype(dtype)
    x = rng.uniform(-3, 15, images.shape).astype(dtype)
    y = rng.uniform(-3, 15, images.shape).astype(dtype)
    x[0], y[0] = np.meshgrid(np.arange(12.0), np.arange(12.0))  # exact pixels
    x[1, :, :3], y[1, :3] = [-1, 11, 12], 11.0  # on the frame and the last pixel
    compiled = geometry.bilinear(images, x.copy(), y.copy(), fill=-0.5)
    monkeypatch.setattr(geometry, "_compiled", None)
    reference = geometry.bilinear(images, x.copy(), y.copy(), fill=-0.5)
    np.testing.assert_array_equal(compiled, reference)
    np.testing.assert_array_equal(compiled[0], images[0])
    assert compiled.dtype == dtype
