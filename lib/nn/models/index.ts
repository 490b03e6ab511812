// nn.models: networks with manifold-mixup mixing points (see mixing.ts).
export { mixer, isTrunked, TrunkedModel, type MixOptions, type Mixable, type Trunked } from './mixing.js';
export { MLP, mlp, type MLPOptions, type Activation } from './mlp.js';
export { SmallCNN, smallCNN, type SmallCNNOptions } from './small-cnn.js';
export { PreActBlock, PreActResNet, preactResNet18, preactResNet34, type PreActResNetOptions } from './preact-resnet.js';
export { WideBasicBlock, WideNetworkBlock, WideResNet, wideResNet, type WideResNetOptions } from './wide-resnet.js';
