"""Reading one letter image into the canonical form: (H, W) uint8, ink bright on dark.

Manuscript crops arrive in every format a scanner or phone produces: dark ink on light
parchment, white-on-black exports, RGBA cut-outs with a transparent background, 16-bit TIFFs.
Everything downstream (models, metrics, the MNIST-style IDX files) assumes MNIST's convention,
so each image is converted here, once, and a file that cannot be decoded becomes a `DataError`
naming it rather than a Pillow traceback in the middle of a thread pool.
"""

from __future__ import annotations

import concurrent.futures
import os
import struct
import zlib
from typing import Optional, Sequence

import numpy as np
from PIL import ExifTags, Image, ImageOps

from hwr_jax.errors import ConfigError, DataError

# Extensions the folder loaders look for, lower case; read_image itself decides by content.
SUPPORTED_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff')

# Restricting Pillow to these decoders keeps exotic (and less audited) formats out of the path.
_PILLOW_FORMATS = ('PNG', 'JPEG', 'BMP', 'TIFF')
_ALPHA_MODES = ('LA', 'La', 'PA', 'RGBA', 'RGBa')
_HIGH_DEPTH_MODES = ('I', 'I;16', 'I;16B', 'I;16L', 'I;16N', 'F')
_FILES_PER_TASK = 64
# data.resize: 'stretch' scales each side to the target size on its own; 'pad' keeps the
# crop's aspect ratio and fills the rest with its background.
RESIZE_MODES = ('stretch', 'pad')
# data.polarity: 'auto' guesses per image (ink_is_dark); 'dark_ink' always inverts (ink darker
# than the paper); 'light_ink' never does.
POLARITIES = ('auto', 'dark_ink', 'light_ink')

ImageSize = tuple[int, int]


def check_image_size(size: Optional[Sequence[int]]) -> Optional[ImageSize]:
  """Validates an (height, width) pair from a config so a typo fails before any decoding."""
  if size is None:
    return None
  try:
    height, width = (int(v) for v in size)
  except (TypeError, ValueError) as e:
    raise ConfigError(f'image_size must be (height, width), got {size!r}') from e
  if height <= 0 or width <= 0:
    raise ConfigError(f'image_size must be positive, got {size!r}')
  return height, width


def check_threshold(threshold: Optional[float], name: str = 'binarize_threshold') -> None:
  if threshold is not None and not 0.0 <= float(threshold) <= 1.0:
    raise ConfigError(f'{name} must be in [0, 1], got {threshold!r}')


def check_resize(resize: str) -> None:
  if resize not in RESIZE_MODES:
    raise ConfigError(f'data.resize={resize!r}: expected one of {", ".join(RESIZE_MODES)}')


def check_polarity(polarity: str) -> None:
  if polarity not in POLARITIES:
    raise ConfigError(f'data.polarity={polarity!r}: expected one of {", ".join(POLARITIES)}')


def border_median(image: np.ndarray) -> float:
  """The median of an (H, W) image's border pixels: its background, which they touch."""
  return float(np.median(np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]])))


def ink_is_dark(images: np.ndarray) -> bool:
  """Whether ink is darker than the background, for one (H, W) image or an (N, H, W) batch.

  The background is what touches the border, so the median of the border pixels estimates it.
  It is compared with the mean of all pixels rather than their median: ink usually covers far
  less than half of a letter crop, so the median of the image is the background too and would
  tie. A background brighter than the mean means dark ink on light paper. A uniform image
  (a blank crop) has no ink; its one value is background, called light when above mid-gray.
  """
  batch = images[None] if images.ndim == 2 else images
  border = np.concatenate([
      batch[:, 0, :].ravel(), batch[:, -1, :].ravel(),
      batch[:, :, 0].ravel(), batch[:, :, -1].ravel()])
  background = float(np.median(border))
  mean = float(batch.mean())
  if background == mean:
    return background > 127.5
  return background > mean


def normalize_polarity(image: np.ndarray, polarity: str = 'auto') -> np.ndarray:
  """Inverts dark-on-light images so ink is bright (255) on a dark background, as in MNIST.

  polarity 'auto' guesses per image (see ink_is_dark); a stained or nearly blank crop can be
  guessed wrong, so a collection known to be dark ink on paper says 'dark_ink' (always invert)
  and one already ink bright says 'light_ink' (never invert).
  """
  check_polarity(polarity)
  if polarity == 'dark_ink' or (polarity == 'auto' and ink_is_dark(image)):
    return 255 - image
  return image


def resize_gray(image: np.ndarray, size: ImageSize) -> np.ndarray:
  """Resizes an (H, W) uint8 image to size=(h, w) with Pillow's antialiased Lanczos filter."""
  height, width = size
  if image.shape == (height, width):
    return image
  resized = Image.fromarray(image).resize((width, height), Image.Resampling.LANCZOS)
  return np.asarray(resized)


def pad_gray(image: np.ndarray, size: ImageSize) -> np.ndarray:
  """Scales an (H, W) uint8 image, keeping its aspect ratio, until it just fits size=(h, w),
  and centres it on a canvas of that size filled with the image's background level.

  The fill is the median of the image's border pixels rather than 0: after polarity
  normalisation the background is dark, but a stained or gray crop is not black, and a black
  margin around it would frame every letter with an edge the page never had.
  """
  height, width = size
  scale = min(height / image.shape[0], width / image.shape[1])
  inner = (min(height, max(1, round(image.shape[0] * scale))),
           min(width, max(1, round(image.shape[1] * scale))))
  canvas = np.full((height, width), round(border_median(image)), dtype=np.uint8)
  top, left = (height - inner[0]) // 2, (width - inner[1]) // 2
  canvas[top:top + inner[0], left:left + inner[1]] = resize_gray(image, inner)
  return canvas


def fit_gray(image: np.ndarray, size: ImageSize, resize: str = 'stretch') -> np.ndarray:
  """An (H, W) uint8 image brought to size=(h, w): stretched (resize_gray) or, with resize
  'pad', scaled with its aspect ratio kept and padded (pad_gray)."""
  check_resize(resize)
  return pad_gray(image, size) if resize == 'pad' else resize_gray(image, size)


def binarize(image: np.ndarray, threshold: float) -> np.ndarray:
  """0/255 image: pixels brighter than `threshold` (a fraction of 255) become ink."""
  return np.where(image > threshold * 255.0, 255, 0).astype(np.uint8)


def _high_depth_to_uint8(im: Image.Image) -> np.ndarray:
  # Pillow's own convert('L') clips 16-bit values instead of scaling them, turning any
  # 16-bit scan into a nearly white page.
  values = np.asarray(im, dtype=np.float64)
  if im.mode.startswith('I;16') or (im.mode == 'I' and values.max(initial=0) > 255):
    values = values / 257.0
  elif im.mode == 'F' and values.max(initial=0) <= 1.0:
    values = values * 255.0
  return np.clip(np.rint(values), 0, 255).astype(np.uint8)


def _alpha_to_gray(im: Image.Image) -> np.ndarray:
  """Flattens a transparent cut-out onto a background that contrasts with its ink.

  Compositing onto a fixed white would erase white ink drawn on a transparent background, so
  the background is chosen opposite to the opaque pixels' mean brightness.
  """
  gray_alpha = np.asarray(im.convert('RGBA').convert('LA'), dtype=np.float64)
  gray, alpha = gray_alpha[..., 0], gray_alpha[..., 1] / 255.0
  if alpha.min() == 1.0 or alpha.sum() == 0:
    return gray.astype(np.uint8)
  ink_mean = (gray * alpha).sum() / alpha.sum()
  background = 255.0 if ink_mean < 127.5 else 0.0
  return np.rint(gray * alpha + background * (1.0 - alpha)).astype(np.uint8)


def _to_gray(im: Image.Image) -> np.ndarray:
  if im.mode == 'L':
    return np.asarray(im)
  if im.mode in _HIGH_DEPTH_MODES:
    return _high_depth_to_uint8(im)
  if im.mode in _ALPHA_MODES or (im.mode == 'P' and 'transparency' in im.info):
    return _alpha_to_gray(im)
  if im.mode in ('1', 'RGB', 'P'):
    return np.asarray(im.convert('L'))
  return np.asarray(im.convert('RGB').convert('L'))


def _decode_gray(path: str) -> np.ndarray:
  """Decodes the first frame of `path` to (H, W) uint8 gray, upright per its EXIF tag."""
  if not os.path.isfile(path):
    # A FIFO or device would block Pillow's read forever; a missing file deserves its own words.
    what = 'not a regular file' if os.path.exists(path) else 'no such file'
    raise DataError(f'cannot read image {path}: {what}')
  try:
    with Image.open(path, formats=_PILLOW_FORMATS) as im:
      limit = Image.MAX_IMAGE_PIXELS
      # Pillow only warns between MAX_IMAGE_PIXELS and twice that; a letter crop that large
      # is a decompression bomb or a wrong file, so it is refused before decoding.
      if limit is not None and im.width * im.height > limit:
        raise DataError(
            f'image {path} is {im.width}x{im.height} pixels, over the limit of {limit} '
            '(possible decompression bomb)')
      # Cameras and phones record rotation in EXIF rather than in the pixels; PNG and BMP
      # crops are not rotated that way, and asking a PNG for EXIF costs an extra full decode.
      if (im.format in ('JPEG', 'TIFF')
          and im.getexif().get(ExifTags.Base.Orientation, 1) != 1):
        im = ImageOps.exif_transpose(im)
      gray = _to_gray(im)
  except Image.DecompressionBombError as e:
    raise DataError(f'image {path} is too large (possible decompression bomb): {e}') from e
  except (OSError, SyntaxError, ValueError, EOFError, struct.error, zlib.error) as e:
    raise DataError(f'cannot read image {path}: corrupt, truncated or not an image ({e})') from e
  if gray.size == 0:
    raise DataError(f'image {path} has no pixels')
  return gray


def read_image(path: str,
               *,
               size: Optional[Sequence[int]] = None,
               binarize_threshold: Optional[float] = None,
               resize: str = 'stretch',
               polarity: str = 'auto') -> np.ndarray:
  """Reads a PNG/JPEG/BMP/TIFF letter image as (H, W) uint8, ink bright on dark.

  Args:
    path: the image file; its content, not its extension, decides the decoder.
    size: optional (height, width) to resize to (antialiased).
    binarize_threshold: optional threshold in [0, 1] of the normalised image; pixels above it
      become 255 and the rest 0.
    resize: how to reach `size`: 'stretch' or 'pad' (aspect ratio kept; see fit_gray).
    polarity: 'auto', 'dark_ink' or 'light_ink' (see normalize_polarity).

  Returns:
    The image with colour and transparency flattened to gray and polarity normalised, then
    resized, then binarised.

  Raises:
    ConfigError: a bad size, threshold, resize or polarity.
    DataError: the file is missing, corrupt, truncated, not an image, or implausibly large.
  """
  size = check_image_size(size)
  check_threshold(binarize_threshold)
  check_resize(resize)
  check_polarity(polarity)
  return prepare_gray(_decode_gray(path), size=size, binarize_threshold=binarize_threshold,
                      resize=resize, polarity=polarity)


def prepare_gray(image: np.ndarray,
                 *,
                 size: Optional[ImageSize] = None,
                 binarize_threshold: Optional[float] = None,
                 resize: str = 'stretch',
                 polarity: str = 'auto') -> np.ndarray:
  """A decoded (H, W) uint8 gray image in the canonical form, as read_image gives files:
  polarity normalised, then resized (stretched or padded), then binarised."""
  check_resize(resize)
  image = normalize_polarity(image, polarity)
  if size is not None:
    image = fit_gray(image, size, resize)
  if binarize_threshold is not None:
    image = binarize(image, binarize_threshold)
  return image


def read_images(paths: Sequence[str],
                *,
                size: Optional[Sequence[int]] = None,
                binarize_threshold: Optional[float] = None,
                resize: str = 'stretch',
                polarity: str = 'auto') -> list[np.ndarray]:
  """Reads many images in a thread pool; the result is in the order of `paths`.

  Pillow releases the GIL while decoding, so threads overlap the decoding of large scans. Each
  task reads a chunk of files: one task per small crop would spend more time handing the GIL
  between threads than decoding. The first failing file (in `paths` order) raises its
  DataError and the pending chunks are dropped. The options are read_image's.
  """
  size = check_image_size(size)
  check_threshold(binarize_threshold)
  check_resize(resize)
  check_polarity(polarity)

  def read_chunk(chunk: Sequence[str]) -> list[np.ndarray]:
    return [read_image(p, size=size, binarize_threshold=binarize_threshold, resize=resize,
                       polarity=polarity) for p in chunk]

  chunks = [paths[i:i + _FILES_PER_TASK] for i in range(0, len(paths), _FILES_PER_TASK)]
  executor = concurrent.futures.ThreadPoolExecutor(
      max_workers=os.cpu_count(), thread_name_prefix='read_images')
  try:
    return [image for chunk in executor.map(read_chunk, chunks) for image in chunk]
  finally:
    executor.shutdown(wait=True, cancel_futures=True)
