"""Tests for hwr_jax.data.images: every input format ends as ink-bright (H, W) uint8."""

import os

import numpy as np
from PIL import Image
import pytest

from hwr_jax import config_lib
from hwr_jax.data import arrays, folders, images, paired, sources
from hwr_jax.data.dataset import LetterDataset
from hwr_jax.data.vocabulary import Vocabulary
from hwr_jax.errors import ConfigError, DataError


@pytest.mark.parametrize('extension', ['png', 'bmp', 'tif'])
@pytest.mark.parametrize('dark_ink', [False, True])
@pytest.mark.parametrize('mode', ['L', 'RGB', 'RGBA'])
def test_lossless_formats_read_back_exactly_ink_bright(tmp_path, letter, write_image, extension,
                                                       dark_ink, mode):
  if extension == 'bmp' and mode == 'RGBA':
    pytest.skip('BMP stores no alpha')
  image = letter('alaph')
  path = write_image(str(tmp_path / f'alaph.{extension}'), image, dark_ink=dark_ink, mode=mode)
  result = images.read_image(path)
  assert result.dtype == np.uint8
  np.testing.assert_array_equal(result, image)


@pytest.mark.parametrize('dark_ink', [False, True])
def test_jpeg_is_close_to_the_original(tmp_path, letter, write_image, dark_ink):
  image = letter('beth', (32, 32))
  path = write_image(str(tmp_path / 'beth.jpg'), image, dark_ink=dark_ink, quality=95)
  result = images.read_image(path)
  assert result.shape == (32, 32)
  assert np.abs(result.astype(int) - image).mean() < 8


def test_colour_ink_becomes_gray(tmp_path):
  rgb = np.full((10, 12, 3), 255, dtype=np.uint8)
  rgb[3:7, 4:8] = (120, 20, 20)
  path = str(tmp_path / 'red.png')
  Image.fromarray(rgb).save(path)
  result = images.read_image(path)
  expected_ink = 255 - np.asarray(Image.fromarray(rgb).convert('L'))[5, 5]
  assert result[0, 0] == 0
  assert result[5, 5] == expected_ink


def test_sixteen_bit_image_is_scaled_not_clipped(tmp_path, letter):
  image = letter('gamal')
  path = str(tmp_path / 'deep.png')
  Image.fromarray(image.astype(np.uint16) * 257).save(path)
  np.testing.assert_array_equal(images.read_image(path), image)


def test_palette_image_with_transparency(tmp_path, letter):
  image = letter('dalath')
  picture = Image.fromarray(image).convert('P')
  path = str(tmp_path / 'palette.png')
  picture.save(path, transparency=0)
  np.testing.assert_array_equal(images.read_image(path), image)


def test_exif_orientation_is_applied(tmp_path):
  upright = np.zeros((30, 10), dtype=np.uint8)
  upright[5:25, 4:6] = 255
  exif = Image.Exif()
  exif[0x0112] = 6
  path = str(tmp_path / 'rotated.jpg')
  Image.fromarray(upright).save(path, exif=exif, quality=95)
  assert images.read_image(path).shape == (10, 30)


def test_uniform_images_have_no_ink(tmp_path):
  for value in (0, 255):
    path = str(tmp_path / f'blank{value}.png')
    Image.fromarray(np.full((8, 8), value, dtype=np.uint8)).save(path)
    assert images.read_image(path).max() == 0


def test_polarity_of_thick_ink_touching_the_border(tmp_path):
  dark_on_light = np.full((20, 20), 230, dtype=np.uint8)
  dark_on_light[:, 6:12] = 10
  path = str(tmp_path / 'thick.png')
  Image.fromarray(dark_on_light).save(path)
  result = images.read_image(path)
  assert result[10, 8] == 245 and result[10, 1] == 25


def test_resize_is_antialiased(tmp_path):
  stripes = np.zeros((40, 40), dtype=np.uint8)
  stripes[:, ::2] = 255
  stripes[0] = stripes[-1] = stripes[:, 0] = stripes[:, -1] = 0
  path = str(tmp_path / 'stripes.png')
  Image.fromarray(stripes).save(path)
  result = images.read_image(path, size=(10, 8))
  assert result.shape == (10, 8)
  # One-pixel stripes average to mid-gray; nearest-neighbour sampling would give 0 or 255.
  assert 80 < result[5, 4] < 180


def test_binarize_threshold(tmp_path):
  ramp = np.tile(np.arange(0, 256, 16, dtype=np.uint8), (16, 1))
  ramp[:, 0] = 0
  ramp[0] = ramp[-1] = 0
  path = str(tmp_path / 'ramp.png')
  Image.fromarray(ramp).save(path)
  result = images.read_image(path, binarize_threshold=0.5)
  assert set(np.unique(result)) == {0, 255}
  np.testing.assert_array_equal(result[5] == 255, ramp[5] > 127.5)


def test_truncated_png_names_the_file(tmp_path, letter, write_image):
  path = write_image(str(tmp_path / 'whole.png'), letter('he', (64, 64)), compress_level=0)
  with open(path, 'rb') as f:
    data = f.read()
  truncated = tmp_path / 'truncated.png'
  truncated.write_bytes(data[:len(data) // 2])
  with pytest.raises(DataError, match='truncated.png'):
    images.read_image(str(truncated))


@pytest.mark.parametrize('content', [b'', b'not an image at all', b'\x89PNG\r\n\x1a\n' + b'\0' * 40,
                                     b'GIF89a' + b'\0' * 40])
def test_garbage_names_the_file(tmp_path, content):
  path = tmp_path / 'garbage.png'
  path.write_bytes(content)
  with pytest.raises(DataError, match='garbage.png'):
    images.read_image(str(path))


def test_missing_file_and_directory(tmp_path):
  with pytest.raises(DataError, match='missing.png'):
    images.read_image(str(tmp_path / 'missing.png'))
  os.mkdir(tmp_path / 'folder.png')
  with pytest.raises(DataError, match='folder.png'):
    images.read_image(str(tmp_path / 'folder.png'))


@pytest.mark.filterwarnings('ignore::PIL.Image.DecompressionBombWarning')
@pytest.mark.parametrize('side', [40, 100])
def test_decompression_bomb_is_an_error(tmp_path, monkeypatch, side):
  # 40x40 lies where Pillow only warns, 100x100 where Pillow itself raises.
  path = str(tmp_path / 'bomb.png')
  Image.new('L', (side, side)).save(path)
  monkeypatch.setattr(Image, 'MAX_IMAGE_PIXELS', 1000)
  with pytest.raises(DataError, match='bomb.png.*decompression bomb'):
    images.read_image(path)


@pytest.mark.parametrize('kwargs', [{'size': (0, 5)}, {'size': (3,)}, {'size': 'ab'},
                                    {'binarize_threshold': 1.5}])
def test_bad_arguments_are_config_errors(tmp_path, letter, write_image, kwargs):
  path = write_image(str(tmp_path / 'a.png'), letter('a'))
  with pytest.raises(ConfigError):
    images.read_image(path, **kwargs)


def test_read_images_keeps_order_and_names_the_first_bad_file(tmp_path, letter, write_image):
  names = [f'{i:03d}.png' for i in range(150)]
  paths = [write_image(str(tmp_path / n), letter(n)) for n in reversed(names)]
  result = images.read_images(paths, size=(10, 8))
  assert len(result) == 150
  for path, image in zip(paths, result):
    np.testing.assert_array_equal(
        image, images.resize_gray(letter(os.path.basename(path)), (10, 8)))
  (tmp_path / '070.png').write_bytes(b'broken')
  (tmp_path / '020.png').write_bytes(b'broken')
  with pytest.raises(DataError, match='070.png'):
    images.read_images(paths)


def tall_bar() -> np.ndarray:
  """A 40x10 crop, ink bright on a stained (not black) background of 40."""
  bar = np.full((40, 10), 40, dtype=np.uint8)
  bar[4:36, 3:7] = 220
  return bar


def test_pad_keeps_the_aspect_ratio_and_fills_with_the_background(tmp_path):
  path = str(tmp_path / 'tall.png')
  Image.fromarray(tall_bar()).save(path)
  result = images.read_image(path, size=(32, 32), resize='pad')
  assert result.shape == (32, 32)
  # The 40x10 crop becomes 32x8 (scale 0.8), centred: columns 12..19; the rest is its border.
  np.testing.assert_array_equal(result[:, 12:20], images.resize_gray(tall_bar(), (32, 8)))
  assert np.all(result[:, :12] == 40) and np.all(result[:, 20:] == 40)
  ink_rows, ink_columns = np.nonzero(result > 130)
  assert (ink_rows.min(), ink_rows.max()) == (3, 28)
  assert (ink_columns.min(), ink_columns.max()) == (14, 17)


def test_pad_fits_the_longer_side_of_a_non_square_target():
  wide = tall_bar().T
  result = images.prepare_gray(wide, size=(16, 32), resize='pad', polarity='light_ink')
  np.testing.assert_array_equal(result[4:12], images.resize_gray(wide, (8, 32)))
  assert np.all(result[:4] == 40) and np.all(result[12:] == 40)


def test_stretch_is_the_default_and_unchanged(tmp_path):
  path = str(tmp_path / 'tall.png')
  Image.fromarray(tall_bar()).save(path)
  stretched = images.resize_gray(tall_bar(), (32, 32))
  np.testing.assert_array_equal(images.read_image(path, size=(32, 32)), stretched)
  np.testing.assert_array_equal(images.read_image(path, size=(32, 32), resize='stretch'),
                                stretched)


def stained_dark_ink() -> np.ndarray:
  """Dark ink (20) on paper (200) whose edges are stained darker (60) than the page's mean,
  so the per-image guess takes the stain for the background and the paper for ink."""
  crop = np.full((20, 20), 200, dtype=np.uint8)
  crop[:3], crop[-3:], crop[:, :3], crop[:, -3:] = 60, 60, 60, 60
  crop[8:12, 6:14] = 20
  return crop


def test_polarity_dark_ink_inverts_what_auto_would_keep(tmp_path):
  crop = stained_dark_ink()
  assert not images.ink_is_dark(crop)
  path = str(tmp_path / 'stained.png')
  Image.fromarray(crop).save(path)
  np.testing.assert_array_equal(images.read_image(path), crop)
  np.testing.assert_array_equal(images.read_image(path, polarity='dark_ink'), 255 - crop)
  np.testing.assert_array_equal(images.read_images([path], polarity='dark_ink')[0], 255 - crop)


def test_polarity_light_ink_keeps_what_auto_would_invert(tmp_path, letter, write_image):
  image = letter('kaph')
  path = write_image(str(tmp_path / 'kaph.png'), image, dark_ink=True)
  assert images.ink_is_dark(255 - image)
  np.testing.assert_array_equal(images.read_image(path), image)
  np.testing.assert_array_equal(images.read_image(path, polarity='light_ink'), 255 - image)
  np.testing.assert_array_equal(images.prepare_gray(image, polarity='light_ink'), image)


@pytest.mark.parametrize('kwargs, key', [({'resize': 'crop'}, 'data.resize'),
                                         ({'polarity': 'dark'}, 'data.polarity')])
def test_bad_resize_or_polarity_is_refused_with_the_key_named(tmp_path, letter, write_image,
                                                              kwargs, key):
  path = write_image(str(tmp_path / 'a.png'), letter('a'))
  allowed = images.RESIZE_MODES if key == 'data.resize' else images.POLARITIES
  for read in (lambda: images.read_image(path, **kwargs),
               lambda: images.read_images([path], **kwargs),
               lambda: images.prepare_gray(letter('a'), size=(8, 8), **kwargs)):
    with pytest.raises(ConfigError, match=key) as refused:
      read()
    assert all(value in str(refused.value) for value in allowed)


def write_crops_folder(folder) -> dict[str, np.ndarray]:
  """A tall and a wide crop, dark ink on paper, with a labels.csv: crops as users bring them."""
  crops = {'tall.png': tall_bar(), 'wide.png': tall_bar().T}
  os.makedirs(folder)
  for name, crop in crops.items():
    Image.fromarray(255 - crop).save(os.path.join(folder, name))
  with open(os.path.join(folder, 'labels.csv'), 'w') as f:
    f.write('image,label\ntall.png,alaph\nwide.png,beth\n')
  return crops


def test_folders_load_mixed_sizes_padded_through_load_path(tmp_path):
  folder = str(tmp_path / 'crops')
  crops = write_crops_folder(folder)
  expected = np.stack([images.pad_gray(crop, (32, 32)) for crop in crops.values()])
  dataset = folders.load_image_folder(folder, image_size=(32, 32), resize='pad',
                                      polarity='dark_ink')
  np.testing.assert_array_equal(dataset.images, expected)
  config = config_lib.data_block('folder', image_size=32, resize='pad', polarity='dark_ink')
  assert sources.image_options(config) == dict(size=(32, 32), binarize_threshold=None,
                                               resize='pad', polarity='dark_ink')
  np.testing.assert_array_equal(sources.load_path('folder', folder, '', config).images, expected)


def test_a_data_block_saved_before_resize_and_polarity_existed_stretches(tmp_path):
  folder = str(tmp_path / 'crops')
  crops = write_crops_folder(folder)
  config = config_lib.data_block('folder', image_size=32)
  del config['resize'], config['polarity']
  dataset = sources.load_path('folder', folder, '', config)
  np.testing.assert_array_equal(
      dataset.images, np.stack([images.resize_gray(crop, (32, 32)) for crop in crops.values()]))
  config.polarity = 'upside_down'
  with pytest.raises(ConfigError, match='data.polarity'):
    sources.load_path('folder', folder, '', config)


def test_arrays_stored_at_another_size_are_padded_too(tmp_path):
  stored = np.stack([tall_bar(), tall_bar()[::-1]])
  dataset = LetterDataset(images=stored, labels=np.zeros(2, np.int32),
                          vocabulary=Vocabulary(('alaph',)), names=np.asarray(['a', 'b']))
  path = str(tmp_path / 'bars.npz')
  arrays.save_npz(dataset, path)
  config = config_lib.data_block('npz', image_size=16, resize='pad')
  loaded = sources.load_path('npz', path, '', config)
  np.testing.assert_array_equal(loaded.images,
                                np.stack([images.pad_gray(bar, (16, 16)) for bar in stored]))
  assert np.all(loaded.images[:, :, :6] == 40)


def test_paired_inputs_and_targets_are_padded_alike(tmp_path):
  inputs, targets = str(tmp_path / 'in'), str(tmp_path / 'out')
  target = np.where(tall_bar() > 130, 255, 0).astype(np.uint8)
  os.makedirs(inputs), os.makedirs(targets)
  Image.fromarray(255 - tall_bar()).save(os.path.join(inputs, 'tall.png'))
  Image.fromarray(255 - target).save(os.path.join(targets, 'tall.png'))
  dataset = paired.load_paired_folders(inputs, targets, image_size=(32, 32), resize='pad',
                                       polarity='dark_ink')
  np.testing.assert_array_equal(dataset.images[0], images.pad_gray(tall_bar(), (32, 32)))
  np.testing.assert_array_equal(dataset.targets[0] > 0, dataset.images[0] > 130)
