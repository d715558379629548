"""Writes a synthetic Syriac letter set laid out like a user's own data, and caches it.

Layout of a generated set (every PNG is 8-bit gray, dark ink on light paper, like a scan):

  letters/labels.csv   image,label,manuscript,date,form,script,font (image = file name in that
                       folder; font = the design the hand's letter shapes come from)
  letters/<id>.png     the letter crop, image_size x image_size
  context/labels.csv   the same rows
  context/<id>.png     the same letter instance with its word neighbours, on noisier paper
  context_binary/      labels.csv and <id>.png: the context crop binarised without error (all
                       ink black on white), the seed's "contextB" test set
  clean/<id>.png       0/255 target aligned with context/<id>.png: the centre letter's ink only
  meta.json            generator version, parameters, masters, counts, every manuscript's hand

`id` is `ms<manuscript>_<sample>`, zero-padded (ms03_000123). Without context crops
(`context=False`) only letters/ and meta.json are written. meta.json is written last, so a set
that has it is complete.

Every random draw comes from a NumPy generator seeded by (seed, manuscript, sample), never from
global state, and PNGs are written with fixed settings: the same parameters give byte-identical
files. Class counts follow the frequency table in letters.py exactly up to rounding.

Speed, measured on the 2-core development machine: the default set (40 manuscripts x 300
letters = 12,000 letters with context crops and clean targets: 36,000 PNGs, 72 MB) takes
16-20 s in one single-threaded process, 14 s of it CPU time (8 s drawing, 4 s PNG encoding)
and the rest the file system creating the files.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
import os
import shutil
import tempfile
from typing import Callable, Optional, Sequence

import numpy as np
from PIL import Image

from hwr_jax import io_utils
from hwr_jax.data.synthetic.hand import sample_hand
from hwr_jax.data.synthetic.letters import FORMS, LETTER_NAMES, LETTERS, class_quota
from hwr_jax.data.synthetic.masters import DEFAULT_MASTERS_PATH, GlyphMasters, load_masters
from hwr_jax.data.synthetic.masters import parse_font, render_masters
from hwr_jax.data.synthetic.render import render_sample
from hwr_jax.errors import ConfigError, DataError

GENERATOR_VERSION = '2.0'
CACHE_ENV = 'HWR_JAX_CACHE'
LABELS_FILE = 'labels.csv'
META_FILE = 'meta.json'
COLUMNS = ('image', 'label', 'manuscript', 'date', 'form', 'script', 'font')
LETTERS_DIR, CONTEXT_DIR, CLEAN_DIR = 'letters', 'context', 'clean'
CONTEXT_BINARY_DIR = 'context_binary'
# zlib level for the PNGs; fixed because it is part of what makes the bytes reproducible.
PNG_COMPRESSION = 6


@dataclasses.dataclass(frozen=True)
class SyntheticParams:
  """What a synthetic set is generated from; equal parameters give identical sets.

  num_manuscripts:        manuscripts, each one hand with its own date.
  letters_per_manuscript: letter instances per manuscript.
  image_size:             side of every crop in pixels.
  seed:                   root of every random draw.
  fonts:                  font files to draw letter shapes from, each 'path[:script]' (no
                          script: estrangela); empty = the committed masters (Noto Sans Syriac
                          Regular, Thin, Black and GNU Unifont in Estrangela; Noto Sans Syriac
                          Western Regular, Thin and Black in Serto).
  date_range:             first and last year a manuscript can be dated to.
  context:                whether to write context crops and their clean targets too.
  """

  num_manuscripts: int = 40
  letters_per_manuscript: int = 300
  image_size: int = 64
  seed: int = 0
  fonts: Sequence[str] = ()
  date_range: tuple[int, int] = (500, 1300)
  context: bool = True

  def __post_init__(self):
    check_glyph_params(self, 'synthetic', (('num_manuscripts', 1),
                                           ('letters_per_manuscript', 1), ('image_size', 16),
                                           ('seed', 0)))

  @property
  def num_letters(self) -> int:
    return self.num_manuscripts * self.letters_per_manuscript

  def to_json(self) -> dict:
    return params_json(self)

  def masters(self) -> GlyphMasters:
    """The committed masters, or masters rendered from the user's fonts."""
    return render_masters(self.fonts) if self.fonts else load_masters()

  def fingerprint(self) -> str:
    """A hash of the parameters, the generator version and the bytes the glyphs come from,
    so that changing a font file or the committed masters never reuses a stale set."""
    return glyph_fingerprint(self.fonts, {'version': GENERATOR_VERSION,
                                          'params': self.to_json()})


def check_glyph_params(params, block: str, minimums: Sequence[tuple[str, int]]) -> None:
  """What the letters' and the pages' parameters share: fonts and date range made tuples (so
  that equal parameters hash and compare equal), each field of `minimums` at least its bound,
  and a date range of (first, last). `block` names the config block in the errors."""
  object.__setattr__(params, 'fonts', tuple(str(path) for path in params.fonts))
  object.__setattr__(params, 'date_range', tuple(int(year) for year in params.date_range))
  for key, least in minimums:
    if getattr(params, key) < least:
      raise ConfigError(f'{block}.{key} must be at least {least}, got {getattr(params, key)}')
  if len(params.date_range) != 2 or params.date_range[0] > params.date_range[1]:
    raise ConfigError(f'{block}.date_range must be (first, last) with first <= last, got '
                      f'{params.date_range}')


def params_json(params) -> dict:
  """A parameters dataclass as JSON: its tuples as lists."""
  return {key: (list(value) if isinstance(value, tuple) else value)
          for key, value in dataclasses.asdict(params).items()}


def glyph_fingerprint(fonts: Sequence[str], payload: dict) -> str:
  """16 hex digits of a hash of the bytes the glyphs come from (the font files, or the
  committed masters) and of `payload`, the parameters and versions."""
  digest = hashlib.sha256()
  for path in [parse_font(spec)[0] for spec in fonts] or [DEFAULT_MASTERS_PATH]:
    try:
      with open(path, 'rb') as f:
        digest.update(f.read())
    except OSError as e:
      raise DataError(f'cannot read {path}: {e}') from e
  digest.update(json.dumps(payload, sort_keys=True).encode())
  return digest.hexdigest()[:16]


def _rng(seed: int, *path: int) -> np.random.Generator:
  """The generator of one stream: path (0) is the label plan, (1 + m) manuscript m's hand and
  (1 + m, 1 + s) its sample s. No path equals another padded with zeros, which SeedSequence
  could not tell apart."""
  return np.random.default_rng([seed, *path])


def _write_png(path: str, image: np.ndarray) -> None:
  Image.fromarray(image, mode='L').save(path, format='PNG', compress_level=PNG_COMPRESSION)


def _write_labels(path: str, rows: list[tuple]) -> None:
  with open(path, 'w', encoding='utf-8', newline='') as f:
    writer = csv.writer(f, lineterminator='\n')
    writer.writerow(COLUMNS)
    writer.writerows(rows)


def _prepare_output(out_dir: str, context: bool) -> list[str]:
  if os.path.exists(out_dir) and (not os.path.isdir(out_dir) or os.listdir(out_dir)):
    raise DataError(f'synthetic output folder must be new or empty: {out_dir}')
  folders = [LETTERS_DIR] + ([CONTEXT_DIR, CONTEXT_BINARY_DIR, CLEAN_DIR] if context else [])
  for folder in folders:
    os.makedirs(os.path.join(out_dir, folder), exist_ok=True)
  return folders


def generate(out_dir: str, params: SyntheticParams = SyntheticParams()) -> str:
  """Generates the set described by `params` into `out_dir` (new or empty) and returns it."""
  masters = params.masters()
  _prepare_output(out_dir, params.context)
  plan = _rng(params.seed, 0)
  quota = class_quota(params.num_letters, plan)
  labels = plan.permutation(np.repeat(np.arange(len(LETTERS)), quota)).reshape(
      params.num_manuscripts, params.letters_per_manuscript)

  manuscript_digits = max(2, len(str(params.num_manuscripts - 1)))
  sample_digits = max(6, len(str(params.letters_per_manuscript - 1)))
  rows, hands = [], []
  form_counts = dict.fromkeys(FORMS, 0)
  for m in range(params.num_manuscripts):
    manuscript = f'ms{m:0{manuscript_digits}d}'
    hand = sample_hand(_rng(params.seed, 1 + m), params.date_range, masters.scripts)
    hands.append({'manuscript': manuscript, **hand.describe()})
    for s, letter in enumerate(labels[m]):
      sample = render_sample(masters, hand, _rng(params.seed, 1 + m, 1 + s), int(letter),
                             params.image_size, params.context)
      name = f'{manuscript}_{s:0{sample_digits}d}.png'
      _write_png(os.path.join(out_dir, LETTERS_DIR, name), sample.letter)
      if params.context:
        _write_png(os.path.join(out_dir, CONTEXT_DIR, name), sample.context)
        _write_png(os.path.join(out_dir, CONTEXT_BINARY_DIR, name), sample.context_binary)
        _write_png(os.path.join(out_dir, CLEAN_DIR, name), sample.clean)
      rows.append((name, LETTER_NAMES[letter], manuscript, hand.date, sample.form, hand.script,
                   masters.design(hand.font)))
      form_counts[sample.form] += 1

  for folder in ((LETTERS_DIR, CONTEXT_DIR, CONTEXT_BINARY_DIR) if params.context
                 else (LETTERS_DIR,)):
    _write_labels(os.path.join(out_dir, folder, LABELS_FILE), rows)
  io_utils.write_json(os.path.join(out_dir, META_FILE), {
      'generator': 'hwr_jax.data.synthetic',
      'version': GENERATOR_VERSION,
      'params': params.to_json(),
      'masters': masters.describe(),
      'num_images': len(rows),
      'counts': dict(zip(LETTER_NAMES, (int(c) for c in quota))),
      'form_counts': form_counts,
      'images': 'dark ink on light paper, 8-bit gray',
      'clean_target': 'the centre letter\'s ink only (255), aligned with the context crop',
      'manuscripts': hands,
  })
  return out_dir


def is_complete(path: str) -> bool:
  """Whether `path` holds a finished set (meta.json is the last file written)."""
  return os.path.isfile(os.path.join(path, META_FILE))


def default_cache_root() -> str:
  return os.environ.get(CACHE_ENV) or os.path.join(os.path.expanduser('~'), '.cache',
                                                   'hwr_jax')


def ensure_synthetic(params: SyntheticParams = SyntheticParams(),
                     cache_root: Optional[str] = None) -> str:
  """The path of the set for `params` under the cache, generating it on first use."""
  root = cache_root or default_cache_root()
  return generate_once(os.path.join(root, f'synthetic-{params.fingerprint()}'),
                       lambda out: generate(out, params), 'set')


def generate_once(final: str, generate_into: Callable[[str], None], what: str) -> str:
  """`final`, generated by `generate_into(folder)` unless it is already complete.

  The set is generated into a temporary sibling folder and renamed into place in one step, so
  a killed run leaves only a hidden '.partial' folder, never a set that looks complete, and of
  two processes racing to generate the same set, the second to finish drops its copy and both
  return the first one's.
  """
  if is_complete(final):
    return final
  root = os.path.dirname(final)
  os.makedirs(root, exist_ok=True)
  partial = tempfile.mkdtemp(prefix=f'.{os.path.basename(final)}.partial-', dir=root)
  try:
    generate_into(partial)
  except BaseException:
    shutil.rmtree(partial, ignore_errors=True)
    raise
  try:
    os.rename(partial, final)
  except OSError as e:
    shutil.rmtree(partial, ignore_errors=True)
    if not is_complete(final):
      raise DataError(f'cannot move the generated {what} into place at {final}: {e}; delete '
                      'that folder and retry') from e
  return final
