"""From a config's data block to the train/test(/val) sets and named extra test sets.

Every source ends in a LetterDataset whose labels are ids of one vocabulary: the training set's
(sorted) vocabulary, through which every test set's labels are mapped.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Optional

import ml_collections
import numpy as np
from absl import logging

from hwr_jax.data import arrays, folders, idx, splits, synthetic
from hwr_jax.data import images as images_lib
from hwr_jax.data.dataset import LetterDataset
from hwr_jax.data.vocabulary import Vocabulary
from hwr_jax.errors import ConfigError, DataError

SOURCES = ('synthetic', 'folder', 'idx', 'npz', 'arrays')


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


def synthetic_params(block: ml_collections.ConfigDict) -> synthetic.SyntheticParams:
  fonts = tuple(p for p in block.fonts.split(',') if p)
  return synthetic.SyntheticParams(
      num_manuscripts=block.num_manuscripts, letters_per_manuscript=block.letters_per_manuscript,
      image_size=block.image_size, seed=block.seed, fonts=fonts,
      date_range=(block.date_min, block.date_max))


def resize_images(images: np.ndarray, size: tuple[int, int]) -> np.ndarray:
  """The resampling the folder and IDX loaders use, for sources stored at another size."""
  if images.shape[1:3] == tuple(size):
    return images
  return np.stack([images_lib.resize_gray(image, size) for image in images])


def with_vocabulary(dataset: LetterDataset, vocabulary: Vocabulary, source: str) -> LetterDataset:
  """The same images with labels re-encoded as ids of `vocabulary`; unseen labels raise."""
  if dataset.vocabulary == vocabulary:
    return dataset
  labels = vocabulary.encode(dataset.vocabulary.decode(dataset.labels), source=source)
  return dataclasses.replace(dataset, labels=labels, vocabulary=vocabulary)


def image_size(config: ml_collections.ConfigDict) -> Optional[tuple[int, int]]:
  return (config.image_size, config.image_size) if config.image_size else None


def label_names(config: ml_collections.ConfigDict) -> Optional[tuple[str, ...]]:
  if not config.label_names:
    return None
  if config.label_names == 'fashion_mnist':
    return tuple(idx.FASHION_MNIST_CLASSES)
  return tuple(config.label_names.split(','))


def load_path(kind: str, path: str, labels: str, config: ml_collections.ConfigDict,
              vocabulary: Optional[Vocabulary] = None) -> LetterDataset:
  """Loads one data set of a source kind, prepared as the data block says."""
  size = image_size(config)
  if kind in ('folder', 'synthetic'):
    dataset = folders.load_image_folder(
        path, labels or None, image_size=size, binarize_threshold=config.binarize_threshold,
        unlabelled=config.unlabelled, vocabulary=vocabulary)
  elif kind == 'idx':
    if not labels:
      raise ConfigError(f'IDX images {path} need an IDX labels file (data.*_labels)')
    dataset = idx.load_idx(path, labels, label_names=label_names(config), image_size=size)
  elif kind == 'npz':
    dataset = arrays.load_npz(path)
  elif kind == 'arrays':
    dataset = arrays.load_arrays(path, images_key=config.images_key or None,
                                 labels_key=config.labels_key or None,
                                 label_names=label_names(config), image_size=size)
  else:
    raise ConfigError(f'data.source={kind!r}: expected one of {", ".join(SOURCES)}')
  if size and dataset.image_shape != size:
    dataset = dataclasses.replace(dataset, images=resize_images(dataset.images, size))
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


def load_splits(config: ml_collections.ConfigDict, seed: int) -> DataSplits:
  """The data sets a training run uses, from its data block."""
  kind, train_path, train_labels = config.source, config.train, config.train_labels
  extra_specs = parse_extra_tests(config.extra_tests)
  if kind == 'synthetic':
    root = synthetic.ensure_synthetic(synthetic_params(config.synthetic), cache_root(config))
    train_path, train_labels = os.path.join(root, 'letters'), ''
    extra_specs.setdefault('context', (os.path.join(root, 'context'), ''))
  elif not train_path:
    raise ConfigError(f'data.source={kind!r} needs data.train (a path)')
  full = load_path(kind, train_path, train_labels, config)
  if config.test:
    train = full
    test = load_path(kind, config.test, config.test_labels, config, full.vocabulary)
    parts = {'train': train, 'test': test}
    if config.val_fraction:
      parts = splits.make_splits(train, method=config.split, test_fraction=config.val_fraction,
                                 seed=seed)
      parts = {'train': parts['train'], 'val': parts['test'], 'test': test}
  else:
    parts = splits.make_splits(full, method=config.split, test_fraction=config.test_fraction,
                               val_fraction=config.val_fraction, seed=seed)
  extra = {}
  for name, (path, labels) in extra_specs.items():
    dataset = load_path(infer_kind(path) if kind != 'synthetic' else 'folder', path, labels,
                        config, full.vocabulary)
    if kind == 'synthetic':
      dataset = restrict_to_names(dataset, parts['test'].names)
    extra[name] = dataset
  data = DataSplits(parts['train'], parts['test'], parts.get('val'), extra)
  logging.info('Data: train %d, test %d%s%s; %d classes; images %s', len(data.train),
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
