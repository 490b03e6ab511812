import { torch, nn } from 'torchmix';
const F = nn.functional;

torch.manualSeed(0);
// Two noisy interleaved classes in 2-D: label = x0·x1 > 0.
const x = torch.randn([512, 2]);
const y = x.select(1, 0).mul(x.select(1, 1)).gt(0).long();

// A 2→64→2 MLP as plain tensors (nn.Module arrives with the nn issue).
const w1 = torch.randn([64, 2]).mul(0.5).requiresGrad_();
const b1 = torch.zeros([64], { requiresGrad: true });
const w2 = torch.randn([2, 64]).mul(0.1).requiresGrad_();
const b2 = torch.zeros([2], { requiresGrad: true });
const params = [w1, b1, w2, b2];
const forward = (v: torch.Tensor) => F.linear(F.relu(F.linear(v, w1, b1)), w2, b2);
const beta = new torch.distributions.Beta(0.4, 0.4);

for (let step = 0; step < 500; step++) {
  torch.tidy(() => {
    // Input mixup: λ ~ Beta(α, α), partner = a random permutation of the batch.
    const lam = beta.sample();
    const perm = torch.randperm(512);
    const out = forward(x.mul(lam).add(x.indexSelect(0, perm).mul(lam.rsub(1))));
    const loss = F.crossEntropy(out, y).mul(lam).add(F.crossEntropy(out, y.indexSelect(0, perm)).mul(lam.rsub(1)));
    loss.backward();
    torch.noGrad(() => {
      for (const p of params) {
        p.sub_(p.grad!, { alpha: 0.5 });
        p.grad = null;
      }
    });
  });
}
const acc = torch.tidy(() => torch.noGrad(() => forward(x).argmax({ dim: 1 }).eq(y).float().mean().item()));
console.log(`train accuracy ${(100 * (acc as number)).toFixed(1)}%, live tensors ${torch.memory().liveTensors}`);
