#!/usr/bin/env bash
# Issue #25's comparisons over seeds: every study a launch.sweep with --axis=seed=0,1,2, whose
# second table gives each figure as mean ± sample standard deviation (n=3). Every sweep resumes
# where it stopped, so a stage cut short (or the whole script) is run again to finish it.
#
#   bash scripts/seed_studies.sh RUNS [STAGE ...]
#
# Stages (default: all, in this order; minutes on the 2-core CPU of docs/studies.md, alone):
#   autoencoders  sparse AE (1024 and 64 units), conv AE, and the research log's sparse-AE
#                 variants: squared error only, -0.05 initialisation, weight cost   (~25)
#   encoders      GANs at 32x32 (1000 steps), the grafted and the fresh encoder of each (500
#                 steps), then launch.hands on each seed's encoders, folded over the seeds
#                 (CLASSIFIER=a 64x64 CNN run adds its features and fidelity)     (~55)
#   encoders2000  the same grafted and fresh encoders on GANs of 2000 steps, judged by the
#                 main job's CNN (trained first in RUNS/cnn), and launch.hands on them (~25)
#   allencoders   every encoder of docs/encoders.md's table on those GANs: IcGAN objective,
#                 both fine-tunings, and the joint models of 1000 steps (trains
#                 encoders2000's GANs and encoders first if they are not there)   (~60)
#   indsng        the IcGAN paper's independent (IND) and joint (SNG) encoders on the same
#                 GANs (the encoders stage's, trained here if it has not run)      (~25)
#   ablation      the IcGAN ablation: label position x matching-aware term, Fashion-MNIST
#                 GANs of 1000 steps, judged by the Fashion-MNIST CNN (trained first in
#                 RUNS/cnn_fm, ~30)                                                 (~70)
#   blstm         single and stacked bidirectional LSTM                           (~35)
#   denoisers     denoiser and conditional denoiser                                (~40)
#   zsize         the z-size study: conditional GANs of 2000 steps at 32x32 with z of 16, 32, 64
#                 and 100, judged by the main job's CNN, and the grafted encoder of each
#                 (the z=100 cells are encoders2000's runs; copy them in to skip them) (~80)
#   upsampling    GANs at 32x32 with transposed, resize and sub-pixel upsampling: checkerboard
#                 power against real letters                                       (~60)
#   labels        GANs at 32x32 with label sampling empirical and batch, and uniform with
#                 class-balanced real batches (UNIFORM=1 adds uniform alone), judged per
#                 letter by the main job's CNN (trained first in RUNS/cnn)        (~50)
#   pooling       the pooling conditional GAN (average pooling in D, resize-convolutions in
#                 G) at 32x32, judged as in the labels stage, its grafted encoder, the z
#                 vectors of every letter (launch.encode) and launch.hands on them, then
#                 each of its two changes alone at seed 0                          (~60)
#   dcgan         the unconditional DCGAN at 32x32, its Fréchet distance as above  (~20)
#   dating        the dating CNN's variants: regression, periods, plain            (~45)
# Each stage logs to RUNS/<stage>.log and appends its exit status and seconds to
# RUNS/summary.txt. Run from the repository root (PYTHON chooses the interpreter).
set -uo pipefail

runs=${1:?usage: bash scripts/seed_studies.sh RUNS [STAGE ...]}
shift
all_stages=(autoencoders encoders encoders2000 allencoders zsize indsng ablation blstm denoisers upsampling
            labels pooling dcgan dating)
stages=("$@")
[ ${#stages[@]} -eq 0 ] && stages=("${all_stages[@]}")
python=${PYTHON:-python3}
seeds=--axis=seed=0,1,2
mkdir -p "$runs"

sweep() { "$python" -m launch.sweep "$seeds" "$@"; }

# The main job's CNN in RUNS/cnn, the judge of the Syriac GANs' stages (trained once; a
# finished run is only evaluated again).
judge() { "$python" -m launch.train --config=configs/cnn_classifier.py --workdir="$runs/cnn"; }

autoencoders() {
  sweep --config=configs/sparse_autoencoder.py --workdir="$runs/sae"
  sweep --config=configs/sparse_autoencoder.py --workdir="$runs/sae64" --config.model.hidden='(64,)'
  sweep --config=configs/conv_autoencoder.py --workdir="$runs/cae"
  for variant in squared_error offset_init weight_cost; do
    sweep --config=configs/sparse_autoencoder.py:$variant --workdir="$runs/sae_$variant"
  done
  sweep --config=configs/sparse_autoencoder.py:weight_cost --workdir="$runs/sae_weight_cost01" \
    --config.autoencoder.kernel_mean_weight=0.1
  local runs_of=""
  for name in sae sae64 cae sae_squared_error sae_offset_init sae_weight_cost sae_weight_cost01; do
    runs_of+="${runs_of:+,}$runs/$name/seed=*"
  done
  for set in test context; do
    "$python" -m launch.compare --workdirs="$runs_of" --set=$set --out="$runs/autoencoders_$set"
  done
}

# The GANs of the encoder stages (one per seed, trained once) and the settings every encoder
# trained on them shares; each encoder stage adds its own second stage with --then_name.
encoder32=(--config=configs/gan.py --config.data.image_size=32 --then=configs/encoder.py
           --then_set=data.image_size=32 --then_set=train.steps=500 --then_set=train.log_every=25)
gan32=("${encoder32[@]}" --workdir="$runs/gan32" --config.train.steps=1000)
gan32_2000=("${encoder32[@]}" --workdir="$runs/gan32_2000" --config.eval.classifier_workdir="$runs/cnn")

encoders() {
  sweep "${gan32[@]}" --then_name=grafted
  sweep "${gan32[@]}" --then_name=fresh --then_set=encoder.graft=false
  for seed in 0 1 2; do
    local cell="$runs/gan32/seed=$seed"
    for set in all test; do
      "$python" -m launch.hands --workdirs="$cell.grafted,$cell.fresh" --set=$set \
        --out="$runs/hands_$set/seed=$seed" ${CLASSIFIER:+--classifier=$CLASSIFIER}
    done
  done
  "$python" -m launch.compare --out="$runs/graft_vs_fresh" \
    --workdirs="$runs/gan32/seed=?.grafted,$runs/gan32/seed=?.fresh"
  for set in all test; do
    "$python" -m scripts.hands_over_seeds "$runs/hands_$set"/seed=? > "$runs/hands_$set/table.md"
  done
}

# The GANs of the default 2000 steps, judged by the main job's CNN so that the tables show how
# far each GAN learned its labels, and their grafted and fresh encoders.
gans2000() {
  judge
  sweep "${gan32_2000[@]}" --then_name=grafted
  sweep "${gan32_2000[@]}" --then_name=fresh --then_set=encoder.graft=false
}

encoders2000() {
  gans2000
  "$python" -m launch.compare --out="$runs/graft_vs_fresh_2000" \
    --workdirs="$runs/gan32_2000/seed=?.grafted,$runs/gan32_2000/seed=?.fresh"
  local seed cell
  for seed in 0 1 2; do
    cell="$runs/gan32_2000/seed=$seed"
    "$python" -m launch.hands --workdirs="$cell.grafted,$cell.fresh" --set=all \
      --classifier="$runs/cnn" --out="$runs/hands_2000/seed=$seed"
  done
  "$python" -m scripts.hands_over_seeds "$runs/hands_2000"/seed=? > "$runs/hands_2000/table.md"
}

allencoders() {
  # The encoder page's table of every encoder over seeds, on the encoders2000 stage's GANs:
  # its two encoders, the IcGAN objective, both fine-tunings of the grafted encoder, and the
  # joint models from scratch (1000 steps each, as in the one-seed table).
  gans2000
  sweep "${gan32_2000[@]}" --then_name=icgan_objective --then_set=encoder.objective=icgan
  local weight seed model name workdirs=""
  for weight in 1 10; do
    for seed in 0 1 2; do
      "$python" -m launch.train --config=configs/finetune.py --config.data.image_size=32 \
        --config.seed=$seed --config.train.steps=300 --config.finetune.recon_weight=$weight \
        --config.finetune.encoder_workdir="$runs/gan32_2000/seed=$seed.grafted" \
        --workdir="$runs/finetune_recon$weight/seed=$seed"
    done
  done
  for model in discriminator_encoder bigan vaegan; do
    sweep --config=configs/$model.py --workdir="$runs/$model" --config.data.image_size=32 \
      --config.train.steps=1000
  done
  for name in gan32_2000/seed=?.grafted gan32_2000/seed=?.fresh gan32_2000/seed=?.icgan_objective \
      finetune_recon1/seed=? finetune_recon10/seed=? discriminator_encoder/seed=? bigan/seed=? \
      vaegan/seed=?; do
    workdirs+="${workdirs:+,}$runs/$name"
  done
  for set in test context; do
    "$python" -m launch.compare --workdirs="$workdirs" --set=$set --out="$runs/all_encoders_$set" \
      --figures=reconstruction_l2,y_accuracy,reconstruction_l2_predicted_labels,reconstruction_mse
  done
}

zsize() {
  # A row per z size, mean ± sd over the seeds; the z=100 row trains what encoders2000 trains.
  judge
  sweep "${encoder32[@]}" --workdir="$runs/zsize" --config.eval.classifier_workdir="$runs/cnn" \
    --axis=model.z_dim=16,32,64,100 --then_name=grafted
}

ablation() {
  # The IcGAN ablation of docs/gans.md: where the label joins D, with and without the
  # matching-aware term, on Fashion-MNIST, judged by the Fashion-MNIST CNN (trained first).
  "$python" -m launch.train --config=configs/cnn_classifier.py:fashion_mnist --workdir="$runs/cnn_fm"
  sweep --config=configs/gan.py:fashion_mnist --workdir="$runs/ablation" \
    --axis=model.label_position=input,conv1,conv2 --axis=gan.matching_aware=true,false \
    --config.train.steps=1000 --config.eval.classifier_workdir="$runs/cnn_fm"
}

indsng() {
  # The IcGAN paper's encoders (configs/encoder.py:icgan_ind and icgan_sng) on the same GANs.
  local icgan=(--then_set=encoder.graft=false --then_set=encoder.objective=icgan
               --then_set=encoder.y_loss=mse --then_set=encoder.y_weight=1.0
               --then_set=encoder.trunk_lr_scale=1.0 --then_set=optimizer.learning_rate=1e-4
               --then_set=optimizer.b1=0.1)
  sweep "${gan32[@]}" "${icgan[@]}" --then_name=ind --then_set=encoder.architecture=independent
  sweep "${gan32[@]}" "${icgan[@]}" --then_name=sng --then_set=encoder.architecture=joint
  "$python" -m launch.compare --out="$runs/ind_vs_sng" \
    --workdirs="$runs/gan32/seed=?.ind,$runs/gan32/seed=?.sng"
}

blstm() {
  sweep --config=configs/blstm_classifier.py --workdir="$runs/blstm"
  sweep --config=configs/blstm_classifier.py:stacked --workdir="$runs/blstm2"
}

denoisers() {
  sweep --config=configs/denoiser.py --workdir="$runs/denoiser"
  sweep --config=configs/denoiser.py:conditional --workdir="$runs/denoiser_conditional"
}

upsampling() {
  sweep --config=configs/gan.py --workdir="$runs/upsampling" --config.data.image_size=32 \
    --axis=model.upsampling=transpose,resize,subpixel
}

labels() {
  # At 32x32 (as the upsampling stage), judged by the main job's CNN: six GANs at 64x64 take
  # about 15-70 minutes each on the 2-core CPU, and the question is the rare letters, not size.
  # `batch` is the log's own fix (generated letters take the real batch's labels); uniform
  # labels with class-balanced real batches give both sides of the discriminator one label
  # distribution again, the even one. Uniform labels with the letters' own frequencies
  # (docs/gans.md: they break the GAN at every seed) run with UNIFORM=1.
  local samplings=empirical,batch${UNIFORM:+,uniform}
  judge
  local gan=(--config=configs/gan.py --config.data.image_size=32
             --config.eval.classifier_workdir="$runs/cnn")
  sweep "${gan[@]}" --workdir="$runs/label_sampling" --axis=gan.label_sampling=$samplings
  sweep "${gan[@]}" --workdir="$runs/label_sampling_balanced" --config.gan.label_sampling=uniform \
    --config.data.class_balanced=true
}

pooling() {
  # The log's "CDGAN with pooling" beside the labels stage's empirical cells (the default
  # conditional GAN at the same size, steps and judge).
  judge
  sweep --config=configs/gan.py:pooling --workdir="$runs/pooling" --config.data.image_size=32 \
    --config.eval.classifier_workdir="$runs/cnn" --then=configs/encoder.py \
    --then_set=data.image_size=32 --then_set=train.steps=500 --then_set=train.log_every=25 \
    --then_name=grafted
  for seed in 0 1 2; do
    "$python" -m launch.encode --workdir="$runs/pooling/seed=$seed.grafted"
    "$python" -m launch.hands --workdirs="$runs/pooling/seed=$seed.grafted" --set=all \
      --classifier="$runs/cnn" --out="$runs/hands_pooling/seed=$seed"
  done
  "$python" -m scripts.hands_over_seeds "$runs/hands_pooling"/seed=? > "$runs/hands_pooling/table.md"
  # Which half of the variant does what: each change alone, seed 0.
  "$python" -m launch.train --config=configs/gan.py --workdir="$runs/attr/pool_only" \
    --config.data.image_size=32 --config.model.downsampling=pool \
    --config.eval.classifier_workdir="$runs/cnn"
  "$python" -m launch.train --config=configs/gan.py --workdir="$runs/attr/resize_only" \
    --config.data.image_size=32 --config.model.upsampling=resize \
    --config.eval.classifier_workdir="$runs/cnn"
}

dcgan() {
  # The unconditional DCGAN (Fréchet distance only) beside the same default conditional GANs.
  judge
  sweep --config=configs/gan.py:dcgan --workdir="$runs/dcgan" --config.data.image_size=32 \
    --config.eval.classifier_workdir="$runs/cnn"
}

dating() {
  for variant in syriac periods plain; do
    sweep --config=configs/dating.py:$variant --workdir="$runs/dating_$variant"
  done
}

for name in "${stages[@]}"; do
  if ! declare -F "$name" >/dev/null; then
    echo "unknown stage $name: ${all_stages[*]}" >&2
    exit 2
  fi
  start=$(date +%s)
  "$name" >"$runs/$name.log" 2>&1
  echo "$name: exit $? after $(($(date +%s) - start)) s" | tee -a "$runs/summary.txt"
done
