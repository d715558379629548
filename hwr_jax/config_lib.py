"""Building blocks of the config files: the blocks every experiment shares.

Each file under configs/ starts from `base_config()` and one of the data blocks here, then sets
its model and task. Every knob the code reads is in these blocks, so
`--config.<block>.<key>=value` can override anything, and an unknown key is an error.
"""

from __future__ import annotations

import copy
import importlib.util
import os

import ml_collections
from ml_collections import config_dict

from hwr_jax.data import augment
from hwr_jax.tasks import get_task_class
from hwr_jax.training import early_stopping, init_from
from hwr_jax.training.optimizers import default_optimizer_config

FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist'


def synthetic_block(**overrides) -> ml_collections.ConfigDict:
  """Parameters of the synthetic Syriac generator (see hwr_jax/data/synthetic)."""
  block = ml_collections.ConfigDict(dict(
      num_manuscripts=40, letters_per_manuscript=300, image_size=64, seed=0, fonts='',
      date_min=500, date_max=1300))
  block.update(overrides)
  return block


def pages_block(**overrides) -> ml_collections.ConfigDict:
  """Parameters of the synthetic page generator (hwr_jax/data/synthetic/pages.py) and the
  tiles a training run cuts from its pages every tile_stride pixels."""
  block = ml_collections.ConfigDict(dict(
      num_pages=24, pages_per_manuscript=2, width=640, height=896, body_height=22.0, seed=0,
      fonts='', date_min=500, date_max=1300, tile_stride=32))
  block.update(overrides)
  return block


def data_block(source: str = 'synthetic', **overrides) -> ml_collections.ConfigDict:
  """Where the letters come from and how they are prepared and split.

  source: 'synthetic' (generated into the cache, then read as an image folder), 'folder'
    (train = image folder, train_labels = its labels.csv / labels.txt), 'idx' (train = IDX
    images, train_labels = IDX labels), 'npz' (an export of this project), or 'arrays'
    (other people's .npy/.npz/.mat; see images_key/labels_key). 'synthetic_pages': the
    synthetic manuscript pages of a `pages` block (pages_block), cut into tiles of image_size
    with their ground truth, split by manuscript (sources.page_splits; configs/denoiser.py:pages).
  test / test_labels: a separate test set of the same source kind; empty = split from train.
  split: 'auto' (the default: by manuscript when the data set records manuscripts, as the
    synthetic letters do, else random), 'random', 'manuscript' (grouped: no manuscript on both
    sides, since a random split puts one hand on both sides and flatters accuracy), 'font' or
    'script' (grouped by the design or the script of the letters: zero-shot on an unseen one),
    or 'column' (the labels file's split column).
  test_groups: for a grouped split, the groups to hold out, comma-separated (e.g. 'serto', or
    'Unifont Regular'); empty = groups drawn at random up to test_fraction of the images.
  extra_tests: more named test sets, 'name=path[:labels],name2=path2'; the synthetic source
    adds 'context' (context crops of the test letters) and 'context_binary' (the same crops
    binarised without error) by itself.
  context_share: share of the training examples shown in their context crop instead of alone,
    drawn anew for every batch (synthetic source); 0 = letters alone.
  class_balanced: training batches draw every class alike (with replacement, from the seed and
    the step) instead of going through the letters epoch by epoch at their own frequencies;
    with gan.label_sampling=uniform, a GAN's real and generated letters then share one label
    distribution.
  image_size: the square size every image is brought to (0: keep the stored size).
  resize: how images reach image_size: 'stretch' (each side scaled on its own) or 'pad' (the
    aspect ratio kept: the longer side fits, the rest is filled with the image's background,
    the median of its border). Real crops differ in height and width, and stretching squashes
    ascenders and descenders.
  polarity: how image files are made ink bright on dark: 'auto' (guessed per image), 'dark_ink'
    (always inverted: ink darker than the paper) or 'light_ink' (never inverted), so a stained
    crop cannot flip silently. Arrays and IDX keep their own rule (one guess per array).
  targets / test_targets: binary targets for image-to-image tasks: a folder paired by file
    name with the train (test) image folder; 'clean' (synthetic source: the context crops
    paired with the generator's clean targets); or 'binarized' (any source: targets are the
    images binarised at target_threshold, inputs the images at half contrast on gray paper
    with Gaussian noise of standard deviation input_noise, a fraction of 255).
  """
  block = ml_collections.ConfigDict(dict(
      source=source, train='', train_labels='', test='', test_labels='', extra_tests='',
      image_size=32, resize='stretch', polarity='auto',
      binarize_threshold=config_dict.placeholder(float), unlabelled='report',
      label_names='', images_key='', labels_key='',
      split='auto', test_groups='',
      test_fraction=0.2, val_fraction=0.0, context_share=0.0, class_balanced=False,
      targets='', test_targets='', target_threshold=0.5, input_noise=0.15,
      cache_dir='', synthetic=synthetic_block()))
  block.update(overrides)
  return block


def tiny_data_block() -> ml_collections.ConfigDict:
  """240 synthetic letters at 16x16: enough for tests and smoke runs to learn a little; five
  manuscripts of 48, so that the split by manuscript holds out one, a fifth."""
  return data_block('synthetic', image_size=16,
                    synthetic=synthetic_block(num_manuscripts=5, letters_per_manuscript=48,
                                              image_size=32))


def make_tiny(config: ml_collections.ConfigDict) -> None:
  """Shrinks a config's data and schedule in place to a run of seconds."""
  config.data = tiny_data_block()
  config.train.update(steps=20, batch_size=16, log_every=5, checkpoint_every=10)
  config.optimizer.warmup_steps = 2


def fashion_mnist_block(**overrides) -> ml_collections.ConfigDict:
  """Fashion-MNIST from Debian's dataset-fashion-mnist package, at 28x28 unless overridden."""
  settings = dict(
      train=f'{FASHION_MNIST_DIR}/train-images-idx3-ubyte.gz',
      train_labels=f'{FASHION_MNIST_DIR}/train-labels-idx1-ubyte.gz',
      test=f'{FASHION_MNIST_DIR}/t10k-images-idx3-ubyte.gz',
      test_labels=f'{FASHION_MNIST_DIR}/t10k-labels-idx1-ubyte.gz',
      label_names='fashion_mnist', image_size=28)
  settings.update(overrides)
  return data_block('idx', **settings)


def evals_block(task_name: str) -> ml_collections.ConfigDict:
  """The task's evaluators by name, {name: {type: module of hwr_jax/evaluation}}: the block a
  config changes to score a run in another way."""
  defaults = get_task_class(task_name).DEFAULT_EVALS
  return ml_collections.ConfigDict({name: {'type': kind} for name, kind in defaults.items()})


def base_config(**train_overrides) -> ml_collections.ConfigDict:
  """Seed, training cadence, evaluation, optimizer and the run to start from (init: none by
  default; hwr_jax/training/init_from.py): the blocks every experiment has."""
  config = ml_collections.ConfigDict()
  config.seed = 0
  config.model_name = ''
  config.task_name = ''
  config.model = ml_collections.ConfigDict()
  config.train = ml_collections.ConfigDict(dict(
      steps=1000, batch_size=128, log_every=100, checkpoint_every=500, keep_checkpoints=3,
      eval_every=0, sample_every=0, steps_per_call=1, compute_dtype='float32',
      label_smoothing=0.0, nan_policy='stop', early_stopping=early_stopping.default_config()))
  config.train.update(train_overrides)
  config.eval = ml_collections.ConfigDict(dict(batch_size=500))
  config.optimizer = default_optimizer_config()
  config.init = init_from.default_config()
  return config


def classifier_config(model_name: str, **train_overrides) -> ml_collections.ConfigDict:
  """The letter-classification recipe both classifiers share: synthetic Syriac data split by
  manuscript, accuracy also per script, Adam with a warm-up then cosine decay from 2e-3, no
  augmentation (config.augment, all off)."""
  config = base_config(**train_overrides)
  config.model_name = model_name
  config.task_name = 'classification'
  config.evals = evals_block(config.task_name)
  config.evals.accuracy.by = 'script'
  # Letters drawn at the 32x32 they are read at: a third of the time of drawing them at 64 and
  # resampling, which the main job's budget (data generation included) needs.
  config.data = data_block('synthetic', synthetic=synthetic_block(image_size=32))
  config.augment = augment.default_config()
  config.optimizer.update(learning_rate=2e-3, schedule='warmup_cosine', warmup_steps=100)
  return config


def load_config_file(spec: str) -> ml_collections.ConfigDict:
  """'configs/x.py[:variant]' -> the config, as --config=... would give it (for scripts)."""
  path, _, variant = spec.partition(':')
  module_spec = importlib.util.spec_from_file_location('hwr_jax_config', path)
  module = importlib.util.module_from_spec(module_spec)
  module_spec.loader.exec_module(module)
  return module.get_config(variant) if variant else module.get_config()


def sibling_config(config_file: str, name: str, variant: str,
                   variants) -> ml_collections.ConfigDict:
  """The `variant` of the config file `name` beside `config_file` (a config's own __file__), so
  a config can build on another without the library knowing where configs live."""
  if variant not in variants:
    raise ValueError(f'unknown variant {variant!r}: one of {", ".join(variants)}')
  return load_config_file(f'{os.path.join(os.path.dirname(config_file), name)}:{variant}')


def joint_encoder_config(task_name: str, gan_config: ml_collections.ConfigDict
                         ) -> ml_collections.ConfigDict:
  """A task that trains an encoder together with a conditional GAN (ALI/BiGAN, VAE-GAN): a
  configs/gan.py config (data, networks, optimizer, schedule), its labels sampled as there,
  evaluated as encoders are."""
  config = copy.deepcopy(gan_config)
  config.task_name = task_name
  config.evals = evals_block(config.task_name)
  config.gan = ml_collections.ConfigDict(dict(label_sampling=config.gan.label_sampling))
  config.eval = ml_collections.ConfigDict(dict(batch_size=config.eval.batch_size,
                                               grid_columns=10))
  return config


def gan_follow_on_config(task_name: str) -> ml_collections.ConfigDict:
  """A task that trains on from a trained GAN's workdir (an encoder, a fine-tuning): 1000 steps
  of 64 on the Syriac letters at 64x64, evaluated as encoders are; its model is the GAN's,
  built from that run's recorded config."""
  config = base_config(steps=1000, batch_size=64, log_every=100, checkpoint_every=500,
                       sample_every=500)
  config.model_name = 'dcgan'
  config.task_name = task_name
  config.evals = evals_block(config.task_name)
  config.eval.update(grid_columns=10)
  config.data = data_block('synthetic', image_size=64)
  return config


def autoencoder_config(model_name: str, **train_overrides) -> ml_collections.ConfigDict:
  """An autoencoder of hwr_jax/models (task: autoencoder) on the synthetic Syriac letters:
  Adam from 2e-3 with cosine decay; its loss weights in config.autoencoder."""
  config = base_config(**train_overrides)
  config.model_name = model_name
  config.task_name = 'autoencoder'
  config.evals = evals_block(config.task_name)
  config.data = data_block('synthetic')
  config.optimizer.update(learning_rate=2e-3)
  config.autoencoder = ml_collections.ConfigDict(dict(
      sparsity_target=0.05, sparsity_weight=0.0, weight_decay=0.0, kernel_mean_weight=0.0))
  config.eval.update(grid_columns=10)
  return config
