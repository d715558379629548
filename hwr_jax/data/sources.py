"""From a config's data block to the train/test(/val) sets and named extra test sets.

Every source ends in a LetterDataset whose labels are ids of one vocabulary: the training set's
(sorted) vocabulary, through which every test set's labels are mapped.
"""

from __future__ import annotations

import dataclasses
import os
import zlib
from typing import Optional

import ml_collections
import numpy as np
from absl import logging

from hwr_jax.data import arrays, folders, idx, paired, splits, synthetic, tiles
from hwr_jax.data import images as images_lib
from hwr_jax.data.dataset import LetterDataset, PageSet
from hwr_jax.data.synthetic import pages as synthetic_pages
from hwr_jax.data.vocabulary import Vocabulary
from hwr_jax.errors import ConfigError, DataError

SOURCES = ('synthetic', 'folder', 'idx', 'npz', 'arrays')
# The synthetic manuscript pages, cut into tiles for training (page_splits); a source of
# training runs only, not a kind of path load_path reads.
SYNTHETIC_PAGES = 'synthetic_pages'
# Test sets the synthetic source adds by itself: its test letters in context, as gray crops and
# binarised without error (the seed's "contextB").
SYNTHETIC_CONTEXT_SETS = ('context', 'context_binary')
# data.targets values that are rules rather than a folder of targets: the synthetic generator's
# clean/ targets of its context crops, or targets binarised from the images themselves.
CLEAN_TARGETS, BINARIZED_TARGETS = 'clean', 'binarized'


@dataclasses.dataclass(frozen=True)
class DataSplits:
  train: LetterDataset
  test: LetterDataset
  val: Optional[LetterDataset] = None
  extra_tests: dict[str, LetterDataset] = dataclasses.field(default_factory=dict)

  @property
  def vocabulary(self) -> Vocabulary:
    return self.train.vocabulary


def cache_root(config: ml_collections.ConfigDict) -> str:
  return config.cache_dir or synthetic.default_cache_root()


def synthetic_root(config: ml_collections.ConfigDict) -> str:
  """The folder of a data block's synthetic set (letters/, context/, ...), generated on first
  use under its cache."""
  return synthetic.ensure_synthetic(synthetic_params(config.synthetic), cache_root(config))


def synthetic_params(block: ml_collections.ConfigDict) -> synthetic.SyntheticParams:
  fonts = tuple(p for p in block.fonts.split(',') if p)
  return synthetic.SyntheticParams(
      num_manuscripts=block.num_manuscripts, letters_per_manuscript=block.letters_per_manuscript,
      image_size=block.image_size, seed=block.seed, fonts=fonts,
      date_range=(block.date_min, block.date_max))


def resize_images(images: np.ndarray, size: tuple[int, int],
                  resize: str = 'stretch') -> np.ndarray:
  """The resampling the folder and IDX loaders use, for sources stored at another size;
  resize 'pad' keeps each image's aspect ratio (images.fit_gray)."""
  if images.shape[1:3] == tuple(size):
    return images
  return np.stack([images_lib.fit_gray(image, size, resize) for image in images])


def with_vocabulary(dataset: LetterDataset, vocabulary: Vocabulary, source: str) -> LetterDataset:
  """The same images with labels re-encoded as ids of `vocabulary`; unseen labels raise.
  Whole pages have no labels and stay as they are."""
  if isinstance(dataset, PageSet) or dataset.vocabulary == vocabulary:
    return dataset
  labels = vocabulary.encode(dataset.vocabulary.decode(dataset.labels), source=source)
  return dataclasses.replace(dataset, labels=labels, vocabulary=vocabulary)


def relabelled(data: DataSplits, vocabulary: Vocabulary) -> DataSplits:
  """Every set of `data` with its labels re-encoded as ids of `vocabulary`, which holds every
  letter of data's and maybe more (the union of the data's letters and a trained run's)."""
  def relabel(dataset: LetterDataset, name: str) -> LetterDataset:
    return with_vocabulary(dataset, vocabulary, f'the {name} set')

  return DataSplits(relabel(data.train, 'train'), relabel(data.test, 'test'),
                    None if data.val is None else relabel(data.val, 'val'),
                    {name: relabel(dataset, name) for name, dataset in data.extra_tests.items()})


def image_size(config: ml_collections.ConfigDict) -> Optional[tuple[int, int]]:
  return (config.image_size, config.image_size) if config.image_size else None


def image_options(config: ml_collections.ConfigDict) -> dict:
  """The keyword arguments images.read_image and images.prepare_gray take from a data block
  (size, binarize_threshold, resize, polarity), checked. A workdir recorded before data.resize
  and data.polarity existed stretched and guessed, so those are the defaults."""
  options = dict(size=image_size(config), binarize_threshold=config.get('binarize_threshold'),
                 resize=config.get('resize', 'stretch'),
                 polarity=config.get('polarity', 'auto'))
  images_lib.check_threshold(options['binarize_threshold'], 'data.binarize_threshold')
  images_lib.check_resize(options['resize'])
  images_lib.check_polarity(options['polarity'])
  return options


def label_names(config: ml_collections.ConfigDict) -> Optional[tuple[str, ...]]:
  if not config.label_names:
    return None
  if config.label_names == 'fashion_mnist':
    return tuple(idx.FASHION_MNIST_CLASSES)
  return tuple(config.label_names.split(','))


def binarized_pairs(dataset: LetterDataset, threshold: float, noise: float,
                    seed_text: str) -> LetterDataset:
  """Pairs built from plain images: the target is the image binarised at `threshold`, the
  input the image on mid-gray paper with its contrast halved and Gaussian noise of standard
  deviation `noise` (a fraction of 255) added. The noise is drawn from a generator seeded by
  `seed_text` (the file name), so a data set always gets the same inputs."""
  images_lib.check_threshold(threshold, 'data.target_threshold')
  rng = np.random.default_rng(zlib.crc32(seed_text.encode()))
  noisy = 64.0 + 0.5 * dataset.images + rng.normal(0.0, noise * 255.0, dataset.images.shape)
  return dataclasses.replace(dataset, images=np.clip(np.rint(noisy), 0, 255).astype(np.uint8),
                             targets=images_lib.binarize(dataset.images, threshold))


def load_path(kind: str, path: str, labels: str, config: ml_collections.ConfigDict,
              vocabulary: Optional[Vocabulary] = None, targets: str = '') -> LetterDataset:
  """Loads one data set of a source kind, prepared as the data block says; with `targets`
  (a folder of targets paired by file name with the image folder `path`, or
  BINARIZED_TARGETS) each image comes with its binary target."""
  options = image_options(config)
  size, resize = options['size'], options['resize']
  if targets and targets != BINARIZED_TARGETS:
    if kind not in ('folder', 'synthetic'):
      raise ConfigError(f'data.targets={targets!r}: a folder of targets pairs with an image '
                        f'folder, not with data.source={kind!r} (use data.targets='
                        f'{BINARIZED_TARGETS!r} to binarise the images instead)')
    dataset = paired.load_paired_folders(path, targets, labels_file=labels or None,
                                         image_size=size,
                                         target_threshold=config.target_threshold,
                                         resize=resize, polarity=options['polarity'])
  elif kind in ('folder', 'synthetic'):
    dataset = folders.load_image_folder(path, labels or None, image_size=size,
                                        binarize_threshold=options['binarize_threshold'],
                                        resize=resize, polarity=options['polarity'],
                                        unlabelled=config.unlabelled, vocabulary=vocabulary)
  elif kind == 'idx':
    if not labels:
      raise ConfigError(f'IDX images {path} need an IDX labels file (data.*_labels)')
    dataset = idx.load_idx(path, labels, label_names=label_names(config), image_size=size,
                           resize=resize)
  elif kind == 'npz':
    dataset = arrays.load_npz(path)
  elif kind == 'arrays':
    dataset = arrays.load_arrays(path, images_key=config.images_key or None,
                                 labels_key=config.labels_key or None,
                                 label_names=label_names(config), image_size=size,
                                 resize=resize)
  else:
    raise ConfigError(f'data.source={kind!r}: expected one of {", ".join(SOURCES)}')
  if size and dataset.image_shape != size:
    dataset = dataclasses.replace(dataset, images=resize_images(dataset.images, size, resize))
  if targets == BINARIZED_TARGETS:
    dataset = binarized_pairs(dataset, config.target_threshold, config.input_noise,
                              os.path.basename(path))
  return with_vocabulary(dataset, vocabulary, path) if vocabulary else dataset


def parse_extra_tests(spec: str) -> dict[str, tuple[str, str]]:
  """'name=path[:labels],...' -> {name: (path, labels)}."""
  out = {}
  for item in filter(None, (s.strip() for s in spec.split(','))):
    name, sep, target = item.partition('=')
    if not sep or not name or not target:
      raise ConfigError(f'data.extra_tests item {item!r}: expected name=path[:labels]')
    path, _, labels = target.partition(':')
    out[name] = (path, labels)
  return out


def looks_like_idx(path: str) -> bool:
  """IDX files start with two zero bytes; gzipped ones with the gzip magic."""
  with open(path, 'rb') as f:
    head = f.read(2)
  return head in (b'\x00\x00', b'\x1f\x8b')


def infer_kind(path: str) -> str:
  """The source kind a path looks like: a folder, our npz export, other arrays, or IDX."""
  if os.path.isdir(path):
    return 'folder'
  if not os.path.exists(path):
    raise DataError(f'data not found: {path}')
  if path.endswith('.npz') and arrays.is_export(path):
    return 'npz'
  if path.endswith(('.npz', '.npy', '.mat')):
    return 'arrays'
  if looks_like_idx(path):
    return 'idx'
  raise DataError(f'{path}: not an image folder, an .npz/.npy/.mat file, or an IDX file '
                  '(point at the folder that holds the images and their labels file)')


def target_settings(config: ml_collections.ConfigDict) -> tuple[str, str]:
  """(train targets, test targets) of the data block, checked against its source; a workdir
  recorded before data.targets existed has none."""
  targets, test_targets = config.get('targets', ''), config.get('test_targets', '')
  if targets == CLEAN_TARGETS and config.source != 'synthetic':
    raise ConfigError(f'data.targets={CLEAN_TARGETS!r} means the synthetic generator\'s clean '
                      f'targets, but data.source={config.source!r}')
  if config.source == 'synthetic' and targets not in ('', CLEAN_TARGETS, BINARIZED_TARGETS):
    raise ConfigError(f'data.targets={targets!r}: the synthetic source pairs its context crops '
                      f'with {CLEAN_TARGETS!r} targets or binarises its letters '
                      f'({BINARIZED_TARGETS!r})')
  if test_targets and targets in ('', BINARIZED_TARGETS):
    raise ConfigError(f'data.test_targets={test_targets} is set but data.targets={targets!r}: '
                      'give a targets folder for data.train too, or leave data.test_targets '
                      'empty' + (' (binarised targets are made for every set)' if targets else ''))
  if targets in ('', BINARIZED_TARGETS):
    return targets, targets
  if config.test and not test_targets:
    raise ConfigError(f'data.test={config.test} needs its targets folder in data.test_targets, '
                      f'as data.train has data.targets={targets}')
  for key, folder in (('data.targets', targets), ('data.test_targets', test_targets)):
    if folder and folder != CLEAN_TARGETS and not os.path.isdir(folder):
      what = 'not a folder' if os.path.exists(folder) else 'not found'
      raise DataError(f'{key}={folder}: {what}')
  return targets, test_targets


def _context_training(train: LetterDataset, context: Optional[LetterDataset],
                      share: float) -> LetterDataset:
  """The training set with its letters' context crops, shown for a share of the examples."""
  if not 0.0 <= share <= 1.0:
    raise ConfigError(f'data.context_share={share}: must be in [0, 1]')
  if context is None:
    raise ConfigError(f'data.context_share={share} needs context crops of the training letters: '
                      'the synthetic source has them (data.source=synthetic, no data.targets); '
                      'for letters without them set data.context_share=0 '
                      '(--config.data.context_share=0)')
  return dataclasses.replace(train, context=restrict_to_names(context, train.names).images,
                             context_share=share)


def pages_params(block: ml_collections.ConfigDict) -> synthetic_pages.PageParams:
  fonts = tuple(p for p in block.fonts.split(',') if p)
  return synthetic_pages.PageParams(
      num_pages=block.num_pages, pages_per_manuscript=block.pages_per_manuscript,
      width=block.width, height=block.height, body_height=block.body_height, seed=block.seed,
      fonts=fonts, date_range=(block.date_min, block.date_max))


def page_splits(config: ml_collections.ConfigDict, seed: int) -> DataSplits:
  """The synthetic pages of data.pages split by manuscript (data.test_fraction of the pages,
  whole manuscripts): the training manuscripts' pages cut into tiles of data.image_size every
  data.pages.tile_stride pixels, each with the same tile of its ground truth (every ink pixel
  of the tile, not one letter's); the test pages cut alike ('test'), and whole ('pages')."""
  if config.get('pages') is None:
    raise ConfigError(f'data.source={SYNTHETIC_PAGES!r} draws the pages of a data.pages block, '
                      'which this config has not (configs/denoiser.py:pages has one)')
  if not config.image_size:
    raise ConfigError(f'data.source={SYNTHETIC_PAGES!r} cuts the pages into tiles of '
                      'data.image_size: set it (the model\'s input size)')
  if config.val_fraction:
    raise ConfigError(f'data.val_fraction={config.val_fraction}: the synthetic pages are split '
                      'into train and test only')
  root = synthetic_pages.ensure_pages(pages_params(config.pages), cache_root(config))
  pages = paired.load_paired_pages(os.path.join(root, synthetic_pages.PAGES_DIR),
                                   os.path.join(root, synthetic_pages.TRUTH_DIR),
                                   polarity=config.polarity)
  table = {row['image']: row for row in synthetic_pages.page_table(root)}
  pages = dataclasses.replace(pages, metadata={
      'manuscript': np.asarray([table[name]['manuscript'] for name in pages.names], dtype=str),
      'date': np.asarray([table[name]['date'] for name in pages.names], np.float32)})
  train_pages, test_pages = splits.group_split(pages.metadata['manuscript'],
                                               config.test_fraction, seed)
  tile = (config.image_size, config.image_size)
  stride = (config.pages.tile_stride, config.pages.tile_stride)
  held_out = pages.subset(test_pages)
  data = DataSplits(tiles.tile_dataset(pages.subset(train_pages), tile, stride),
                    tiles.tile_dataset(held_out, tile, stride), None, {'pages': held_out})
  logging.info('Data: %d synthetic pages; train %d tiles of %d pages, test %d tiles of %d '
               'pages; tiles %s every %d pixels', len(pages), len(data.train), len(train_pages),
               len(data.test), len(test_pages), tile, config.pages.tile_stride)
  return data


def load_splits(config: ml_collections.ConfigDict, seed: int) -> DataSplits:
  """The data sets a training run uses, from its data block."""
  if config.source == SYNTHETIC_PAGES:
    return page_splits(config, seed)
  kind, train_path, train_labels = config.source, config.train, config.train_labels
  extra_specs = parse_extra_tests(config.extra_tests)
  train_targets, test_targets = target_settings(config)
  if kind == 'synthetic':
    root = synthetic_root(config)
    train_path, train_labels = os.path.join(root, 'letters'), ''
    if train_targets == CLEAN_TARGETS:
      train_path, train_targets = os.path.join(root, 'context'), os.path.join(root, 'clean')
    else:
      for name in SYNTHETIC_CONTEXT_SETS:
        extra_specs.setdefault(name, (os.path.join(root, name), ''))
  elif not train_path:
    raise ConfigError(f'data.source={kind!r} needs data.train (a path)')
  full = load_path(kind, train_path, train_labels, config, targets=train_targets)
  test_groups = tuple(g.strip() for g in config.get('test_groups', '').split(',') if g.strip())
  if config.test:
    train = full
    test = load_path(kind, config.test, config.test_labels, config, full.vocabulary,
                     test_targets)
    parts = {'train': train, 'test': test}
    if config.val_fraction:
      parts = splits.make_splits(train, method=config.split, test_fraction=config.val_fraction,
                                 seed=seed)
      parts = {'train': parts['train'], 'val': parts['test'], 'test': test}
  else:
    parts = splits.make_splits(full, method=config.split, test_fraction=config.test_fraction,
                               val_fraction=config.val_fraction, seed=seed,
                               test_groups=test_groups)
  extra, context = {}, None
  for name, (path, labels) in extra_specs.items():
    dataset = load_path(infer_kind(path) if kind != 'synthetic' else 'folder', path, labels,
                        config, full.vocabulary,
                        BINARIZED_TARGETS if train_targets == BINARIZED_TARGETS else '')
    if kind == 'synthetic':
      context = dataset if name == 'context' else context
      dataset = restrict_to_names(dataset, parts['test'].names)
    extra[name] = dataset
  share = config.get('context_share', 0.0)
  if share:
    parts['train'] = _context_training(parts['train'], context, share)
  balanced = config.get('class_balanced', False)
  if balanced:
    parts['train'] = dataclasses.replace(parts['train'], class_balanced=True)
  data = DataSplits(parts['train'], parts['test'], parts.get('val'), extra)
  logging.info('Data: train %d%s%s, test %d%s%s; %d classes; images %s', len(data.train),
               f' ({share:.0%} of them in context)' if share else '',
               ' (class-balanced batches)' if balanced else '',
               len(data.test), f', val {len(data.val)}' if data.val is not None else '',
               ''.join(f', {k} {len(v)}' for k, v in extra.items()), len(data.vocabulary),
               data.train.image_shape)
  return data


def restrict_to_names(dataset: LetterDataset, names: np.ndarray) -> LetterDataset:
  """The images of `dataset` whose ids are in `names`, in the order of `names`."""
  position = {name: i for i, name in enumerate(dataset.names)}
  missing = [n for n in names if n not in position]
  if missing:
    raise DataError(f'{len(missing)} image ids absent from the companion set, e.g. {missing[:3]}')
  return dataset.subset(np.asarray([position[n] for n in names]))


def named_letters(config: ml_collections.ConfigDict, set_name: str) -> LetterDataset:
  """The letters of a run's config (its data block and seed) by set name: one set, or train,
  val and test joined ('all'; the extra test sets, such as the context crops, show the same
  letters again)."""
  data = load_splits(config.data, config.seed)
  splits = {'train': data.train, 'val': data.val, 'test': data.test}
  splits = {name: dataset for name, dataset in splits.items() if dataset is not None}
  sets = {**splits, **data.extra_tests}
  if set_name == 'all':
    chosen = list(splits.values())
    return LetterDataset(
        images=np.concatenate([d.images for d in chosen]),
        labels=np.concatenate([d.labels for d in chosen]), vocabulary=chosen[0].vocabulary,
        names=np.concatenate([d.names for d in chosen]),
        metadata={key: np.concatenate([d.metadata[key] for d in chosen])
                  for key in chosen[0].metadata if all(key in d.metadata for d in chosen)})
  if set_name not in sets:
    raise ConfigError(f'no data set {set_name!r}: the data has sets {sorted(sets)} (or all)')
  return sets[set_name]
