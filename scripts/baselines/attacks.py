#!/usr/bin/env python3
"""The torchattacks 3.5.1 side of torchmix's attack parity test (test/attacks/torchattacks.test.ts).

    attacks.py WEIGHTS.safetensors INPUTS.safetensors SPEC.json OUT.safetensors

WEIGHTS: a torchmix small-cnn state dict (torch.save(model.stateDict()), or a `torchmix train`
checkpoint.safetensors: its `model/` prefix is stripped), loaded strictly into the PyTorch small CNN
of the baselines (scripts/fixtures/nn_reference_models.py Net, as scripts/baselines/train.py).
INPUTS: x (pixel-space float32 N×1×28×28), y (int64), target (int64), start_pgd, start_pgdl2 (the
perturbations δ0 torchmix also uses). SPEC: {"mean", "std", "threads", "seed", "cases": [{name,
attack, eps, alpha?, steps?, targeted?, start?: "given" | "seeded"}]}.

As torchattacks users do: atk.set_normalization_used(mean, std), the model WITHOUT normalisation, and
normalised images in and out (atk(normalize(x), y)); torchattacks maps them back to pixel space,
attacks there, and normalises the result. Written per case:
  <name>/adv     the pixel-space adversarial images torchattacks' forward returned (captured by
                 wrapping the instance's forward; nothing else changed);
  <name>/advn    what atk(...) returned (normalised), and <name>/correct: model(advn).argmax == y.
  seen           the pixel-space images torchattacks' forward attacked (inverse_normalize(normalize(x)):
                 x up to an ulp); torchmix attacks these for the bit-level comparison.

Starts. torchattacks' PGD and PGDL2 draw their random start inside forward; for "given" the classes
below replicate that forward with the draw replaced by the given δ0 (line for line otherwise). The
replicas are checked here against the unmodified torchattacks classes: with δ0 drawn as torchattacks
draws it after torch.manual_seed(seed), both must give the very same images (the script fails if not).
"seeded" runs the unmodified class after torch.manual_seed(seed) (torchmix draws the same start from
the same seed when its LibTorch is the venv's torch version).
"""
import json
import os
import sys

import torch
import torch.nn as nn
import torchattacks
from safetensors.torch import load_file, save_file

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'fixtures'))
from nn_reference_models import Net  # noqa: E402


class PGDFrom(torchattacks.PGD):
    """torchattacks.PGD.forward (3.5.1) starting from clamp(x + start, 0, 1) instead of a U(−ε, ε) draw."""

    def __init__(self, model, start, **kw):
        super().__init__(model, random_start=True, **kw)
        self.start = start

    def forward(self, images, labels):
        images = images.clone().detach().to(self.device)
        labels = labels.clone().detach().to(self.device)
        if self.targeted:
            target_labels = self.get_target_label(images, labels)
        loss = nn.CrossEntropyLoss()
        adv_images = images.clone().detach()
        adv_images = adv_images + self.start.to(self.device)  # was: torch.empty_like(adv_images).uniform_(-eps, eps)
        adv_images = torch.clamp(adv_images, min=0, max=1).detach()
        for _ in range(self.steps):
            adv_images.requires_grad = True
            outputs = self.get_logits(adv_images)
            cost = -loss(outputs, target_labels) if self.targeted else loss(outputs, labels)
            grad = torch.autograd.grad(cost, adv_images, retain_graph=False, create_graph=False)[0]
            adv_images = adv_images.detach() + self.alpha * grad.sign()
            delta = torch.clamp(adv_images - images, min=-self.eps, max=self.eps)
            adv_images = torch.clamp(images + delta, min=0, max=1).detach()
        return adv_images


class PGDL2From(torchattacks.PGDL2):
    """torchattacks.PGDL2.forward (3.5.1) starting from clamp(x + start, 0, 1) instead of its draw."""

    def __init__(self, model, start, **kw):
        super().__init__(model, random_start=True, **kw)
        self.start = start

    def forward(self, images, labels):
        images = images.clone().detach().to(self.device)
        labels = labels.clone().detach().to(self.device)
        if self.targeted:
            target_labels = self.get_target_label(images, labels)
        loss = nn.CrossEntropyLoss()
        adv_images = images.clone().detach()
        batch_size = len(images)
        adv_images = torch.clamp(adv_images + self.start.to(self.device), min=0, max=1).detach()  # was: δ = u·ε·z/‖z‖
        for _ in range(self.steps):
            adv_images.requires_grad = True
            outputs = self.get_logits(adv_images)
            cost = -loss(outputs, target_labels) if self.targeted else loss(outputs, labels)
            grad = torch.autograd.grad(cost, adv_images, retain_graph=False, create_graph=False)[0]
            grad_norms = torch.norm(grad.view(batch_size, -1), p=2, dim=1) + self.eps_for_division
            grad = grad / grad_norms.view(batch_size, 1, 1, 1)
            adv_images = adv_images.detach() + self.alpha * grad
            delta = adv_images - images
            delta_norms = torch.norm(delta.view(batch_size, -1), p=2, dim=1)
            factor = self.eps / delta_norms
            factor = torch.min(factor, torch.ones_like(delta_norms))
            delta = delta * factor.view(-1, 1, 1, 1)
            adv_images = torch.clamp(images + delta, min=0, max=1).detach()
        return adv_images


def torchattacks_start(kind, like, eps, seed):
    """δ0 exactly as torchattacks' PGD / PGDL2 forward draws it after torch.manual_seed(seed)."""
    torch.manual_seed(seed)
    if kind == 'pgd':
        return torch.empty_like(like).uniform_(-eps, eps)
    delta = torch.empty_like(like).normal_()
    n = delta.view(like.size(0), -1).norm(p=2, dim=1).view(like.size(0), 1, 1, 1)
    r = torch.zeros_like(n).uniform_(0, 1)
    delta *= r / n * eps
    return delta


def build(model, c, inputs):
    kw = {'eps': c['eps']}
    if c['attack'] != 'fgsm':
        kw['alpha'] = c['alpha']
        kw['steps'] = c['steps']
    if c['attack'] == 'fgsm':
        return torchattacks.FGSM(model, **kw)
    if c['attack'] == 'bim':
        return torchattacks.BIM(model, **kw)
    given = c.get('start') == 'given'
    if c['attack'] == 'pgd':
        return PGDFrom(model, inputs['start_pgd'], **kw) if given else torchattacks.PGD(model, **kw)
    if c['attack'] == 'pgdl2':
        return PGDL2From(model, inputs['start_pgdl2'], **kw) if given else torchattacks.PGDL2(model, **kw)
    raise SystemExit(f'unknown attack {c["attack"]}')


def run(atk, xn, labels, mean, std, targeted):
    """atk(normalize(x), labels) as a user calls it; returns (pixel-space forward result, the images forward saw, the normalised output)."""
    atk.set_normalization_used(mean=mean, std=std)
    if targeted:
        atk.set_mode_targeted_by_label(quiet=True)
    seen = {}
    forward = atk.forward

    def capture(images, labels, *a, **k):
        seen['in'] = images.detach().clone()
        seen['out'] = forward(images, labels, *a, **k)
        return seen['out']

    atk.forward = capture  # an instance attribute: __call__'s self.forward finds it first
    advn = atk(xn, labels)
    return seen['out'], seen['in'], advn


def main():
    weights, inputs_file, spec_file, out_file = sys.argv[1:5]
    spec = json.load(open(spec_file))
    torch.set_num_threads(spec.get('threads', 1))
    sd = load_file(weights)
    if any(k.startswith('model/') for k in sd):
        sd = {k[len('model/'):]: v for k, v in sd.items() if k.startswith('model/')}
    model = Net(in_channels=1, num_classes=10)
    model.load_state_dict(sd, strict=True)
    model.eval()
    inputs = load_file(inputs_file)
    x, y = inputs['x'], inputs['y']
    mean, std = spec['mean'], spec['std']
    m = torch.tensor(mean).reshape(1, -1, 1, 1)
    s = torch.tensor(std).reshape(1, -1, 1, 1)
    xn = (x - m) / s  # the user's normalised batch
    out = {}
    for c in spec['cases']:
        labels = inputs['target'] if c.get('targeted') else y
        if c.get('start') == 'seeded':
            torch.manual_seed(spec['seed'])
        adv, seen, advn = run(build(model, c, inputs), xn, labels, mean, std, c.get('targeted', False))
        out['seen'] = seen
        out[f'{c["name"]}/adv'] = adv
        out[f'{c["name"]}/advn'] = advn
        with torch.no_grad():
            out[f'{c["name"]}/correct'] = (model(advn).argmax(1) == y).long()
    # The replicas against the unmodified classes, same start drawn from the same seed.
    seen = out['seen']
    for kind, cls, rep, eps in [('pgd', torchattacks.PGD, PGDFrom, 8 / 255), ('pgdl2', torchattacks.PGDL2, PGDL2From, 1.0)]:
        start = torchattacks_start(kind, seen, eps, spec['seed'] + 1)
        torch.manual_seed(spec['seed'] + 1)
        a, _, _ = run(cls(model, eps=eps, steps=3), xn, y, mean, std, False)
        b, _, _ = run(rep(model, start, eps=eps, steps=3), xn, y, mean, std, False)
        if not torch.equal(a, b):
            raise SystemExit(f'{rep.__name__} differs from torchattacks.{cls.__name__} for the same start: max |Δ| {(a - b).abs().max().item()}')
    out['replicas_checked'] = torch.ones(1)
    save_file({k: v.contiguous() for k, v in out.items()}, out_file)
    print(json.dumps({'torch': torch.__version__, 'torchattacks': torchattacks.__version__}))


if __name__ == '__main__':
    main()
