"""Tests for hwr_jax.data.images: every input format ends as ink-bright (H, W) uint8."""

import os

import numpy as np
from PIL import Image
import pytest

from hwr_jax.data import images
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
