import { torch, nn, optim, data } from 'torchmix';
const F = nn.functional;

torch.manualSeed(0);
// Two interleaved half circles, 512 points: images is float32 512×2, labels int64.
const { images: x, labels: y } = data.moons({ n: 512, noise: 0.1, seed: 0 });
const model = nn.models.mlp([2, 64, 64, 2]);
const opt = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
const beta = new torch.distributions.Beta(0.4, 0.4);

for (let step = 0; step < 300; step++) {
  torch.tidy(() => {
    // Input mixup: λ ~ Beta(α, α) drawn on the device, partner = a random permutation of the batch.
    const lam = beta.sample();
    const perm = torch.randperm(512);
    const out = model.forward(x.mul(lam).add(x.indexSelect(0, perm).mul(lam.rsub(1))));
    const loss = F.crossEntropy(out, y)
      .mul(lam)
      .add(F.crossEntropy(out, y.indexSelect(0, perm)).mul(lam.rsub(1)));
    opt.zeroGrad();
    loss.backward();
    opt.step();
  });
}
model.eval();
const acc = torch.tidy(() => torch.noGrad(() => model.forward(x).argmax({ dim: 1 }).eq(y).float().mean().item()));
console.log(`train accuracy ${(100 * (acc as number)).toFixed(1)}%, live tensors ${torch.memory().liveTensors}`);
