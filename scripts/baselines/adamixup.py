#!/usr/bin/env python3
"""AdaMixup (Guo, Mao, Zhang, AAAI 2019; SITE5039/AdaMixUp, TF1) in Python PyTorch: the reference step
that torchmix's AdaMixup mirrors, and a `torchmix train`-recipe baseline on Fashion-MNIST.

The step (adamixup_step), for a classifier `model`, an AdaMixupPolicy `policy`, a batch x [B, C, H, W]
(already normalised), labels y [B] (int64), B >= 2, num_classes classes, and the step's random draws
(perm, m1, m2, u) passed in explicitly:

- h = B // 2; perm is a permutation of range(B): the partner is drawn over the WHOLE batch.
  x1 = x[:h], y1 = y[:h]; x2 = x[perm[:h]], y2 = y[perm[:h]]; x3 = x[h:] (held out, B − h rows).
- m1, m2: N(0, 1) truncated to [−2, 2] (nn.init.trunc_normal_(t, 0, 1, −2, 2)), x1's shape.
- Policy-region generator: g_in = (m1·x1 + m2·x2) / 2; f_g = features(policy.generator, g_in) [h, F];
  z = policy.generatorHead(f_g) (Linear(F, 100) → Linear(100, 3), no activation between: the TF
  reference's FullyConnected with identity); p = softmax(z, 1); α = p[:, 0]; Δ = p[:, 1]
  (p[:, 2] discarded, so α + Δ ≤ 1).
- u ~ U[0, 1) [h]; λ = α + u·Δ [h] (reparameterised: gradients reach the generator through λ).
- x̃ = λ·x1 + (1 − λ)·x2 (λ as [h, 1, 1, 1]); ỹ = λ·onehot(y1) + (1 − λ)·onehot(y2).
- Classifier: logits = model(cat[x̃, x1]); target = cat[ỹ, onehot(y1)];
  mix_loss = F.cross_entropy(logits, target) (probability targets, mean over the 2h rows).
- Intrusion discriminator, sharing the classifier's trunk: f_d = features(model, cat[x3, x1, x̃]);
  d = policy.discriminatorHead(f_d) (Linear(F, 10) → Linear(10, 2), no activation between);
  labels 1 ("original") for the x3 and x1 rows, 0 ("mixed") for the x̃ rows;
  intrusion_loss = F.cross_entropy(d, labels) (mean over the (B − h) + h + h rows);
  disc_acc = mean(argmax(d, 1) == labels). Nothing is detached: the intrusion loss also reaches the
  generator through x̃ → λ.
- loss = mix_loss + intrusion_weight · intrusion_loss (intrusion_weight 1 by default).
- Forward order (it matters for BatchNorm running statistics and for the dropout masks drawn from the
  global generator): generator, then classifier (model(...)), then discriminator (features(model, ...)).
- Weight decay is not part of the loss: it is the optimizer's weight_decay over every parameter (model
  and policy, one optimizer), which for SGD is the gradient of 1e-4·Σ‖w‖²/2 (the paper writes the
  regulariser as 1e-4·Σ‖w‖²; the TF code adds 1e-4·regularize_cost('.*', tf.nn.l2_loss), i.e. 1e-4·Σ‖w‖²/2
  over every trainable variable, which is exactly SGD's weight_decay=1e-4).
- The TF reference shuffles the classifier's and the discriminator's batches before the forwards; that
  changes nothing in the losses (means over rows) except which row gets which dropout mask (and, with
  BatchNorm, nothing at all: batch statistics are order-invariant), so this implementation does not.

features(model, x) is the classifier's penultimate representation (everything before the last Linear):
  Net (small CNN): dropout2(relu(fc1(flatten(dropout1(max_pool2d(relu(conv2(relu(conv1(x)))), 2)), 1)))) — F = 128;
  PreActResNet: adaptive_avg_pool2d(relu(bn(layer4(layer3(layer2(layer1(conv1(x))))))), 1).flatten(1) —
  F = initial_channels·8 (512 for PreAct ResNet-18).

AdaMixupPolicy children, in this order and with these names: generator (a fresh model of the classifier's
architecture with its own weights, final Linear included though unused), generatorHead (Sequential of
Linear(F, 100), Linear(100, 3)), discriminatorHead (Sequential of Linear(F, 10), Linear(10, 2)). The heads
are built as nn.Linear (PyTorch's default init, which draws from the generator), then their weights are
re-drawn N(0, 1e-3²) — std 1e-3, the TF reference's initialiser — in the order generatorHead.0,
generatorHead.1, discriminatorHead.0, discriminatorHead.1, and their biases zeroed.

CLI (the train.py recipe, importing its helpers): SGD lr 0.05 momentum 0.9 weight decay 1e-4 over the
model's then the policy's parameters in one param group, cosine schedule stepped per epoch, batch 128
drop_last, torch.manual_seed(seed) before the model (then the policy) is built, the loader permutation
keyed by (seed, epoch). Per step: perm = torch.randperm(B); m1, m2 = trunc_normal_ (m1 first);
u = torch.rand(h); forward (as above); zero_grad; backward; step. Validation uses the classifier only.

    .venv/bin/python scripts/baselines/adamixup.py --dataset fashion-mnist --epochs 10 --seed 0 \\
        --threads 2 --label-noise 0 --out runs/baselines/pytorch-adamixup-s0 [--intrusion-weight 1]

Per epoch, besides train.py's fields, `method`: {alphaMean, deltaMean, lamMean (means over the epoch's
pairs), lamHist (20 counts of λ, bin min(floor(20λ), 19)), discAcc (intrusion-discriminator accuracy
over the epoch's discriminator rows)}.
"""
import argparse
import math
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'fixtures'))
sys.path.insert(0, HERE)
from nn_reference_models import Net, PreActResNet  # noqa: E402

LAM_BINS = 20
HEAD_STD = 1e-3


def features(model, x):
    """The classifier's penultimate features (everything before its final Linear)."""
    if isinstance(model, Net):
        h = F.relu(model.conv1(x))
        h = F.max_pool2d(F.relu(model.conv2(h)), 2)
        h = torch.flatten(model.dropout1(h), 1)
        return model.dropout2(F.relu(model.fc1(h)))
    if isinstance(model, PreActResNet):
        h = model.conv1(x)
        h = model.layer4(model.layer3(model.layer2(model.layer1(h))))
        return F.adaptive_avg_pool2d(F.relu(model.bn(h)), 1).flatten(1)
    raise TypeError(f'features: unsupported model {type(model).__name__}')


def feature_dim(model):
    if isinstance(model, Net):
        return model.fc2.in_features
    if isinstance(model, PreActResNet):
        return model.linear.in_features
    raise TypeError(f'feature_dim: unsupported model {type(model).__name__}')


class AdaMixupPolicy(nn.Module):
    """Policy-region generator (own trunk + FC-100 → FC-3) and the intrusion discriminator's head (FC-10 → FC-2)."""

    def __init__(self, generator, head_std=HEAD_STD):
        super().__init__()
        f = feature_dim(generator)
        self.generator = generator
        self.generatorHead = nn.Sequential(nn.Linear(f, 100), nn.Linear(100, 3))
        self.discriminatorHead = nn.Sequential(nn.Linear(f, 10), nn.Linear(10, 2))
        self.reset_heads(head_std)

    @torch.no_grad()
    def reset_heads(self, std, generator=None):
        for lin in (*self.generatorHead, *self.discriminatorHead):
            lin.weight.normal_(0.0, std, generator=generator)
            lin.bias.zero_()


def trunc_normal(shape, dtype=torch.float32):
    """N(0, 1) truncated to [−2, 2], from torch's global generator (nn.init.trunc_normal_)."""
    return nn.init.trunc_normal_(torch.empty(shape, dtype=dtype), 0.0, 1.0, -2.0, 2.0)


def adamixup_step(model, policy, x, y, num_classes, perm, m1, m2, u, intrusion_weight=1.0):
    """One AdaMixup forward (module docstring). Returns loss, mix_loss, intrusion_loss (0-d, with graph),
    lam, alpha, delta ([h], with graph), disc_acc and disc_correct (0-d float tensors, detached; disc_acc =
    disc_correct / rows), disc_rows (int) and logits (the classifier's [2h, C], with graph)."""
    B = x.shape[0]
    if B < 2:
        raise ValueError(f'adamixup_step: need a batch of at least 2, got {B}')
    h = B // 2
    partner = perm[:h]
    x1, y1 = x[:h], y[:h]
    x2, y2 = x.index_select(0, partner), y.index_select(0, partner)
    x3 = x[h:]

    z = policy.generatorHead(features(policy.generator, (m1 * x1 + m2 * x2) / 2))
    p = F.softmax(z, 1)
    alpha, delta = p[:, 0], p[:, 1]
    lam = alpha + u.to(p.dtype) * delta

    lam_x = lam.to(x.dtype).view(h, *([1] * (x.dim() - 1)))
    x_mix = x2.lerp(x1, lam_x)  # = λ·x1 + (1−λ)·x2, with torchmix's op (so lockstep runs agree bit for bit)
    oh1 = F.one_hot(y1, num_classes).to(x.dtype)
    oh2 = F.one_hot(y2, num_classes).to(x.dtype)
    lam_y = lam.to(x.dtype).unsqueeze(1)
    y_mix = oh2.lerp(oh1, lam_y)

    logits = model(torch.cat([x_mix, x1]))
    mix_loss = F.cross_entropy(logits, torch.cat([y_mix, oh1]))

    d = policy.discriminatorHead(features(model, torch.cat([x3, x1, x_mix])))
    labels = torch.cat([torch.ones(B, dtype=torch.int64, device=x.device), torch.zeros(h, dtype=torch.int64, device=x.device)])
    intrusion_loss = F.cross_entropy(d, labels)
    disc_correct = d.detach().argmax(1).eq(labels).sum().to(torch.float64)
    rows = B + h

    loss = mix_loss + intrusion_weight * intrusion_loss
    return {'loss': loss, 'mix_loss': mix_loss, 'intrusion_loss': intrusion_loss, 'lam': lam, 'alpha': alpha, 'delta': delta,
            'disc_acc': disc_correct / rows, 'disc_correct': disc_correct, 'disc_rows': rows, 'logits': logits, 'disc_logits': d}


def main():
    from train import add_recipe_args, end_epoch, epoch_permutation, finish, load_data, loaded_line, recipe_config, write_results  # the recipe's own helpers

    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    add_recipe_args(p)
    p.add_argument('--intrusion-weight', type=float, default=1.0)
    a = p.parse_args()
    if a.batch_size < 2:
        raise SystemExit('--batch-size: AdaMixup needs at least 2')
    out = a.out or os.path.join('runs', 'baselines', f'pytorch-adamixup-s{a.seed}')
    train_x, train_y, test_x, test_y, noise_rate, t0 = load_data(a)
    num_classes = 10
    net = Net(in_channels=1, num_classes=num_classes)
    policy = AdaMixupPolicy(Net(in_channels=1, num_classes=num_classes))
    params = list(net.parameters()) + list(policy.parameters())
    opt = torch.optim.SGD(params, lr=a.lr, momentum=a.momentum, dampening=0, nesterov=False, weight_decay=a.weight_decay)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, a.epochs), eta_min=0)
    config = recipe_config(a, 'adamixup', out, intrusionWeight=a.intrusion_weight)
    os.makedirs(out, exist_ok=True)
    loaded_line(a, train_x, test_x, noise_rate, t0, f'adamixup intrusion weight {a.intrusion_weight}')

    n = train_x.shape[0]
    steps = n // a.batch_size  # drop_last
    B, h = a.batch_size, a.batch_size // 2
    history = []
    net.train()
    policy.train()
    for epoch in range(1, a.epochs + 1):
        lr0 = opt.param_groups[0]['lr']
        perm_epoch = epoch_permutation(a, n, epoch)
        loss_sum = torch.zeros((), dtype=torch.float64)
        alpha_sum = torch.zeros((), dtype=torch.float64)
        delta_sum = torch.zeros((), dtype=torch.float64)
        lam_sum = torch.zeros((), dtype=torch.float64)
        lam_hist = torch.zeros(LAM_BINS, dtype=torch.int64)
        disc_correct = torch.zeros((), dtype=torch.float64)
        disc_rows = 0
        samples = 0
        pairs = 0
        t = time.perf_counter()
        for i in range(steps):
            idx = perm_epoch[i * B:(i + 1) * B]
            x = finish(train_x.index_select(0, idx))
            y = train_y.index_select(0, idx)
            perm = torch.randperm(B)
            m1 = trunc_normal((h, *x.shape[1:]))
            m2 = trunc_normal((h, *x.shape[1:]))
            u = torch.rand(h)
            r = adamixup_step(net, policy, x, y, num_classes, perm, m1, m2, u, a.intrusion_weight)
            opt.zero_grad()
            r['loss'].backward()
            opt.step()
            with torch.no_grad():
                lam = r['lam'].detach()
                loss_sum += r['loss'].detach().double() * B
                alpha_sum += r['alpha'].detach().double().sum()
                delta_sum += r['delta'].detach().double().sum()
                lam_sum += lam.double().sum()
                lam_hist += torch.bincount(lam.mul(LAM_BINS).floor().clamp(0, LAM_BINS - 1).long(), minlength=LAM_BINS)
                disc_correct += r['disc_correct']
            disc_rows += r['disc_rows']
            samples += B
            pairs += h
        seconds = time.perf_counter() - t
        stats = {'alphaMean': float(alpha_sum) / pairs, 'deltaMean': float(delta_sum) / pairs, 'lamMean': float(lam_sum) / pairs,
                 'lamHist': lam_hist.tolist(), 'discAcc': float(disc_correct) / disc_rows}
        end_epoch(history, sched, net, test_x, test_y, epoch, lr0, loss_sum, samples, seconds, method=stats)

    write_results(out, config, history)


if __name__ == '__main__':
    main()
