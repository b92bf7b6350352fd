#!/usr/bin/env python3
"""Extra cases for the data-movement ops (Reshape, Slice, Pad, Gather*, Scatter*, ...).

The ONNX 1.12 node tests cover one or two opsets per op; these cases add the
other opsets (Slice-1/10, Split-11/18, Pad-2/18/19, Squeeze/Unsqueeze-11,
Reshape-1/5, Scatter-9, reductions max/min of opset 18), other dtypes,
clamping corners, zero-size tensors, constant-vs-runtime inputs, and
multi-node shape chains. References are plain numpy.

Usage: gen_data_ops_cases.py OUTDIR
  OUTDIR/good  every case must pass:      node_tests OUTDIR/good
  OUTDIR/bad   every case must fail with a clean message (index out of range,
               bad shapes...), never crash: node_tests OUTDIR/bad -v
Needs python3-onnx (1.12) and numpy.
"""
import sys
BASE = sys.argv[1] if len(sys.argv) > 1 else '/tmp/edgerun-data-ops'
import onnx, numpy as np, os, shutil
from onnx import helper, numpy_helper, TensorProto
OUT=BASE+'/good'
shutil.rmtree(BASE, ignore_errors=True); os.makedirs(OUT)
def case(name, op, inputs, outputs, attrs={}, opset=17, consts=(), node_inputs=None):
    d=os.path.join(OUT, 'test_'+name); os.makedirs(os.path.join(d,'test_data_set_0'))
    ginputs=[]; inits=[]; k=0
    for n,a in inputs:
        if n in consts:
            inits.append(numpy_helper.from_array(a, n))
        else:
            ginputs.append(helper.make_tensor_value_info(n, onnx.mapping.NP_TYPE_TO_TENSOR_TYPE[np.dtype(a.dtype)], a.shape))
            t=numpy_helper.from_array(a, n)
            open(os.path.join(d,'test_data_set_0','input_%d.pb'%k),'wb').write(t.SerializeToString()); k+=1
    gout=[]
    for i,(n,a) in enumerate(outputs):
        gout.append(helper.make_tensor_value_info(n, onnx.mapping.NP_TYPE_TO_TENSOR_TYPE[np.dtype(a.dtype)], None))
        t=numpy_helper.from_array(a, n)
        open(os.path.join(d,'test_data_set_0','output_%d.pb'%i),'wb').write(t.SerializeToString())
    ni = node_inputs if node_inputs is not None else [n for n,_ in inputs]
    node=helper.make_node(op, ni, [n for n,_ in outputs], **attrs)
    g=helper.make_graph([node], name, ginputs, gout, initializer=inits)
    m=helper.make_model(g, opset_imports=[helper.make_opsetid('', opset)])
    m.ir_version=8
    open(os.path.join(d,'model.onnx'),'wb').write(m.SerializeToString())

rng=np.random.default_rng(0)
f32=lambda *s: rng.standard_normal(s).astype(np.float32)
I64=lambda *v: np.array(v, dtype=np.int64)
I32=lambda *v: np.array(v, dtype=np.int32)

# ---- Slice
def slice_ref(x, starts, ends, axes=None, steps=None):
    if axes is None: axes=list(range(len(starts)))
    if steps is None: steps=[1]*len(starts)
    sl=[slice(None)]*x.ndim
    for s,e,a,st in zip(starts,ends,axes,steps):
        sl[a]=slice(s,e,st)
    return x[tuple(sl)]
x=f32(20,10,5)
case('slice_v1_attrs','Slice',[('x',x)],[('y',x[2:-3, :, 1:1000])],dict(starts=[2,1],ends=[-3,1000],axes=[0,2]),opset=1)
case('slice_v1_noaxes','Slice',[('x',x)],[('y',x[1:3,2:8])],dict(starts=[1,2],ends=[3,8]),opset=9)
for i,(s,e,a,st) in enumerate([
    ([-1],[-1000],[1],[-1]), ([100],[-100],[0],[-3]), ([-100],[100],[2],[2]), ([5],[2],[0],[1]),
    ([9223372036854775807],[-9223372036854775807],[0],[-1]), ([0],[9223372036854775807],[1],[9223372036854775807]),
    ([3,8],[-1,1],[-1,1],[1,-2]), ([0],[-9223372036854775808],[0],[-1])]):
    ref=x
    sl=[slice(None)]*3
    sl[a[0]]=slice(s[0],e[0],st[0])
    if len(a)>1: sl[a[1]]=slice(s[1],e[1],st[1])
    ref=x[tuple(sl)]
    case('slice_v13_%d'%i,'Slice',[('x',x),('s',I64(*s)),('e',I64(*e)),('a',I64(*a)),('st',I64(*st))],[('y',ref)],consts=('s','e','a','st'))
case('slice_v13_i32_dyn','Slice',[('x',x),('s',I32(1,-4)),('e',I32(10,-1)),('a',I32(0,1))],[('y',x[1:10,-4:-1])])
case('slice_v10_int8','Slice',[('x',(x*10).astype(np.int8)),('s',I64(1)),('e',I64(-1))],[('y',(x*10).astype(np.int8)[1:-1])],opset=10,consts=('s','e'))
# ---- Split
y=np.arange(14,dtype=np.float32).reshape(2,7)
case('split_v11_attr','Split',[('x',y)],[('a',y[:,:2]),('b',y[:,2:7])],dict(axis=1,split=[2,5]),opset=11)
z=np.arange(12,dtype=np.int64).reshape(6,2)
case('split_v11_equal','Split',[('x',z)],[('a',z[:2]),('b',z[2:4]),('c',z[4:])],dict(axis=-2),opset=11)
case('split_v18_num','Split',[('x',y)],[('a',y[:,:3]),('b',y[:,3:6]),('c',y[:,6:])],dict(axis=1,num_outputs=3),opset=18)
case('split_v13_const','Split',[('x',y),('s',I64(1,0,6))],[('a',y[:,:1]),('b',y[:,1:1]),('c',y[:,1:])],dict(axis=-1),consts=('s',))
# ---- Pad
xp=f32(2,3,4)
case('pad_v2_reflect','Pad',[('x',xp)],[('y',np.pad(xp,((0,0),(1,2),(3,1)),mode='reflect'))],dict(pads=[0,1,3,0,2,1],mode='reflect'),opset=2)
case('pad_v2_const','Pad',[('x',xp)],[('y',np.pad(xp,((1,0),(0,2),(0,0)),constant_values=1.5))],dict(pads=[1,0,0,0,2,0],value=1.5),opset=2)
xi=np.arange(24,dtype=np.int32).reshape(2,3,4)
case('pad_v11_cval_int','Pad',[('x',xi),('p',I64(1,0,2,0,1,1)),('v',np.array(7,dtype=np.int32))],[('y',np.pad(xi,((1,0),(0,1),(2,1)),constant_values=7))])
case('pad_v13_neg','Pad',[('x',xp),('p',I64(0,-1,2,0,1,-3))],[('y',np.pad(xp[:,1:,:1],((0,0),(0,1),(2,0))))],consts=('p',))
case('pad_v13_edge_big','Pad',[('x',xp),('p',I64(0,5,7,0,6,2))],[('y',np.pad(xp,((0,0),(5,6),(7,2)),mode='edge'))],dict(mode='edge'),consts=('p',))
case('pad_v13_reflect_big','Pad',[('x',xp),('p',I64(0,4,7,0,5,9))],[('y',np.pad(xp,((0,0),(4,5),(7,9)),mode='reflect'))],dict(mode='reflect'))
case('pad_v18_axes','Pad',[('x',xp),('p',I64(2,1,0,3)),('v',np.array(-1,dtype=np.float32)),('ax',I64(-1,0))],[('y',np.pad(xp,((1,3),(0,0),(2,0)),constant_values=-1))],opset=18,consts=('p','ax'))
case('pad_v19_wrap','Pad',[('x',xp),('p',I64(0,2,3,0,3,-1))],[('y',np.pad(xp,((0,0),(2,3),(3,0)),mode='wrap')[:,:,:-1])],dict(mode='wrap'),opset=19,consts=('p',))
xb=rng.random((3,4))>0.5
case('pad_bool','Pad',[('x',xb),('p',I64(1,1,1,1))],[('y',np.pad(xb,1))],consts=('p',))
case('pad_1d_reflect_d1','Pad',[('x',np.array([3.],dtype=np.float32)),('p',I64(2,3))],[('y',np.array([3.]*6,dtype=np.float32))],dict(mode='reflect'),consts=('p',))
# ---- Squeeze / Unsqueeze / Reshape / Flatten
xs=f32(1,3,1,2)
case('squeeze_v11','Squeeze',[('x',xs)],[('y',xs.reshape(3,1,2))],dict(axes=[0]),opset=11)
case('squeeze_all','Squeeze',[('x',xs)],[('y',xs.reshape(3,2))])
case('squeeze_v1_all','Squeeze',[('x',xs)],[('y',xs.reshape(3,2))],opset=1)
case('unsqueeze_v11','Unsqueeze',[('x',xs)],[('y',xs.reshape(1,1,3,1,2,1,1))],dict(axes=[-1,0,-2]),opset=11)
case('unsqueeze_scalar','Unsqueeze',[('x',np.array(5,dtype=np.int64)),('a',I64(0,1))],[('y',np.array([[5]],dtype=np.int64))])
xr=f32(2,3,4)
case('reshape_v5_zero','Reshape',[('x',xr),('s',I64(0,-1,2))],[('y',xr.reshape(2,6,2))],opset=5,consts=('s',))
case('reshape_v1_attr','Reshape',[('x',xr)],[('y',xr.reshape(4,6))],dict(shape=[4,-1]),opset=1)
case('reshape_allowzero_0dim','Reshape',[('x',np.zeros((0,4),np.float32)),('s',I64(4,0))],[('y',np.zeros((4,0),np.float32))],dict(allowzero=1),opset=14)
case('flatten_axis_r','Flatten',[('x',xr)],[('y',xr.reshape(24,1))],dict(axis=3))
case('flatten_axis_0_f16','Flatten',[('x',xr.astype(np.float16))],[('y',xr.astype(np.float16).reshape(1,24))],dict(axis=0))
# ---- Transpose
for dt in (np.float16, np.int8, np.float64, np.bool_):
    xt=(f32(2,3,4,5)*3).astype(dt)
    case('transpose_%s'%np.dtype(dt).name,'Transpose',[('x',xt)],[('y',xt.transpose(0,2,3,1))],dict(perm=[0,2,3,1]))
xt=f32(3,1,4,1,2)
case('transpose_5d_default','Transpose',[('x',xt)],[('y',xt.transpose())])
xt=f32(16,33,17); case('transpose_big','Transpose',[('x',xt)],[('y',xt.transpose(2,0,1))],dict(perm=[2,0,1]))
# ---- Gather family
xg=f32(5,4,3)
case('gather_i32_neg_axis','Gather',[('x',xg),('i',I32(-1,0,2,-3))],[('y',np.take(xg,[-1,0,2,-3],axis=-1))],dict(axis=-1))
case('gather_scalar_idx','Gather',[('x',xg),('i',np.array(-2,dtype=np.int64))],[('y',xg[:, -2])],dict(axis=1))
case('gather_2d_idx_axis0','Gather',[('x',xg),('i',I64(1,2,3,4,0,0).reshape(2,3))],[('y',np.take(xg,np.array([[1,2,3],[4,0,0]]),axis=0))])
xe=f32(3,4,2)
# gather elements axis=1 with smaller dims
ind=rng.integers(-4,4,size=(2,3,2)).astype(np.int32)
ref=np.take_along_axis(xe[:2,:,:2], np.where(ind<0,ind+4,ind), axis=1)
case('gather_elements_small','GatherElements',[('x',xe),('i',ind)],[('y',ref)],dict(axis=1))
def gathernd(data, indices, b):
    bs=int(np.prod(indices.shape[:b])) if b else 1
    out=[]
    dr=data.reshape((bs,)+data.shape[b:]); ir=indices.reshape((bs,)+indices.shape[b:])
    for i in range(bs):
        for idx in ir[i].reshape(-1, indices.shape[-1]):
            out.append(dr[i][tuple(idx)])
    return np.array(out).reshape(indices.shape[:-1]+data.shape[b+indices.shape[-1]:])
xd=f32(2,3,4,5)
ind=np.stack([rng.integers(0,4,size=(2,3,6)), rng.integers(0,5,size=(2,3,6))],-1).astype(np.int32)
case('gathernd_b2','GatherND',[('x',xd),('i',ind)],[('y',gathernd(xd,ind,2))],dict(batch_dims=2))
ind=np.stack([rng.integers(-2,2,size=(4,)), rng.integers(0,3,size=(4,))],-1).astype(np.int64)
case('gathernd_b0_neg','GatherND',[('x',xd),('i',ind)],[('y',gathernd(xd,np.where(ind<0,ind+2,ind),0))])
# ---- Scatter
def scat_el(data, idx, upd, axis, red):
    out=data.copy()
    for pos in np.ndindex(*idx.shape):
        tgt=list(pos); v=idx[pos]; tgt[axis]=v if v>=0 else v+data.shape[axis]; tgt=tuple(tgt)
        if red=='none': out[tgt]=upd[pos]
        elif red=='add': out[tgt]+=upd[pos]
        elif red=='mul': out[tgt]*=upd[pos]
        elif red=='max': out[tgt]=max(out[tgt],upd[pos])
        elif red=='min': out[tgt]=min(out[tgt],upd[pos])
    return out
xd=rng.integers(-5,5,size=(3,4)).astype(np.int64)
idx=rng.integers(-3,3,size=(2,4)).astype(np.int64); upd=rng.integers(-5,5,size=(2,4)).astype(np.int64)
for red,op in (('mul',16),('max',18),('min',18),('add',16)):
    case('scatter_elements_%s'%red,'ScatterElements',[('x',xd),('i',idx),('u',upd)],[('y',scat_el(xd,idx,upd,0,red))],dict(axis=0,reduction=red),opset=op)
xf=f32(3,5); idx=I32(4,0,-1).reshape(1,3); upd=f32(1,3)
case('scatter_v9','Scatter',[('x',xf),('i',idx),('u',upd)],[('y',scat_el(xf,idx,upd,1,'none'))],dict(axis=1),opset=9)
def scat_nd(data, idx, upd, red):
    out=data.copy()
    for pos in np.ndindex(*idx.shape[:-1]):
        t=tuple(int(v) for v in idx[pos])
        if red=='none': out[t]=upd[pos]
        elif red=='add': out[t]+=upd[pos]
        elif red=='mul': out[t]*=upd[pos]
        elif red=='max': out[t]=np.maximum(out[t],upd[pos])
        elif red=='min': out[t]=np.minimum(out[t],upd[pos])
    return out
xd=f32(4,3,5); idx=np.array([[[1,2],[0,-1]],[[3,0],[1,2]]],dtype=np.int32); upd=f32(2,2,5)
for red,op in (('max',18),('min',18),('mul',16),('none',13)):
    case('scatternd_%s'%red,'ScatterND',[('x',xd),('i',idx),('u',upd)],[('y',scat_nd(xd,idx,upd,red))],dict(reduction=red) if red!='none' else {},opset=op)
# ---- Tile / Expand
xt=(f32(2,1,3)*10).astype(np.int8)
case('tile_int8','Tile',[('x',xt),('r',I64(2,3,1))],[('y',np.tile(xt,(2,3,1)))],consts=('r',))
case('tile_dyn_zero','Tile',[('x',xt),('r',I64(1,0,2))],[('y',np.tile(xt,(1,0,2)))])
xe=f32(3,1)
case('expand_up','Expand',[('x',xe),('s',I64(2,1,6))],[('y',np.broadcast_to(xe,(2,3,6)).copy())])
xe2=f32(2,3); case('expand_smaller_shape','Expand',[('x',xe2),('s',I64(1))],[('y',xe2)],consts=('s',))
# ---- DepthToSpace / SpaceToDepth
xd=f32(2,18,2,3)
def d2s(x,b,mode):
    n,c,h,w=x.shape
    if mode=='DCR':
        t=x.reshape(n,b,b,c//(b*b),h,w).transpose(0,3,4,1,5,2)
    else:
        t=x.reshape(n,c//(b*b),b,b,h,w).transpose(0,1,4,2,5,3)
    return t.reshape(n,c//(b*b),h*b,w*b)
case('d2s_dcr3','DepthToSpace',[('x',xd)],[('y',d2s(xd,3,'DCR'))],dict(blocksize=3,mode='DCR'))
case('d2s_crd3','DepthToSpace',[('x',xd)],[('y',d2s(xd,3,'CRD'))],dict(blocksize=3,mode='CRD'))
case('d2s_v1','DepthToSpace',[('x',xd)],[('y',d2s(xd,3,'DCR'))],dict(blocksize=3),opset=1)
xs=f32(2,2,6,9)
n,c,h,w=xs.shape; b=3
s2d=xs.reshape(n,c,h//b,b,w//b,b).transpose(0,3,5,1,2,4).reshape(n,c*b*b,h//b,w//b)
case('s2d_3','SpaceToDepth',[('x',xs)],[('y',s2d)],dict(blocksize=3))
# ---- Trilu / EyeLike / OneHot
xt=rng.integers(-9,9,size=(2,4,6)).astype(np.int32)
for k in (-100,-2,0,3,100):
    case('triu_k%d'%(k+1000),'Trilu',[('x',xt),('k',I64(k).reshape(()))],[('y',np.triu(xt,k))],consts=('k',))
    case('tril_k%d'%(k+1000),'Trilu',[('x',xt.astype(np.float16)),('k',I64(k).reshape(()))],[('y',np.tril(xt.astype(np.float16),k))],dict(upper=0))
for k in (-3,-1,0,2,7):
    case('eyelike_k%d'%(k+10),'EyeLike',[('x',f32(4,6))],[('y',np.eye(4,6,k,dtype=np.int64))],dict(k=k,dtype=7))
case('eyelike_bool','EyeLike',[('x',np.zeros((3,2),np.bool_))],[('y',np.eye(3,2,dtype=np.bool_))])
def onehot(ind, depth, vals, axis):
    r=ind.ndim
    if axis<0: axis+=r+1
    out=np.empty(ind.shape[:axis]+(depth,)+ind.shape[axis:],dtype=vals.dtype)
    out[...]=vals[0]
    for pos in np.ndindex(*ind.shape):
        v=int(ind[pos])
        if v<-depth or v>=depth: continue
        if v<0: v+=depth
        out[pos[:axis]+(v,)+pos[axis:]]=vals[1]
    return out
ind=np.array([[1,-1,5],[9,-10,0]],dtype=np.int64)
case('onehot_axis0_oob','OneHot',[('i',ind),('d',np.array(4,dtype=np.int32)),('v',I64(-2,7))],[('y',onehot(ind,4,I64(-2,7),0))],dict(axis=0))
case('onehot_axis1_f','OneHot',[('i',ind.astype(np.float32)),('d',np.array([5.0],dtype=np.float32)),('v',np.array([0,1],dtype=np.float32))],[('y',onehot(ind,5,np.array([0,1],dtype=np.float32),1))],dict(axis=1),consts=('d',))
# ---- Compress / NonZero / ReverseSequence
xc=f32(3,4,2)
cond=np.array([True,False,True],dtype=np.bool_)
case('compress_short','Compress',[('x',xc),('c',cond)],[('y',np.compress(cond,xc,axis=1))],dict(axis=1))
cond2=rng.random(24)>0.5
case('compress_flat','Compress',[('x',xc),('c',cond2)],[('y',np.compress(cond2,xc))])
case('compress_empty','Compress',[('x',xc),('c',np.zeros(2,np.bool_))],[('y',np.compress(np.zeros(2,np.bool_),xc,axis=2))],dict(axis=-1))
xn=(rng.random((3,4,5))>0.6).astype(np.float32)*f32(3,4,5)
case('nonzero_f3d','NonZero',[('x',xn)],[('y',np.array(np.nonzero(xn),dtype=np.int64))])
xn=rng.integers(0,2,size=(7,)).astype(np.int16)
case('nonzero_const','NonZero',[('x',xn)],[('y',np.array(np.nonzero(xn),dtype=np.int64))],consts=('x',))
def revseq(x, lens, ta, ba):
    y=x.copy()
    for b,l in enumerate(lens):
        for t in range(l):
            src=[slice(None)]*x.ndim; dst=[slice(None)]*x.ndim
            src[ba]=b; dst[ba]=b; src[ta]=l-1-t; dst[ta]=t
            y[tuple(dst)]=x[tuple(src)]
    return y
xr=f32(4,3,2); lens=I64(1,4,0)
case('revseq_t0','ReverseSequence',[('x',xr),('l',lens)],[('y',revseq(xr,lens,0,1))],dict(time_axis=0,batch_axis=1))
xr=f32(3,5,2); lens=I64(5,2,3)
case('revseq_t1','ReverseSequence',[('x',xr),('l',lens)],[('y',revseq(xr,lens,1,0))],dict(time_axis=1,batch_axis=0))
# ---- Range / Concat / Constant / Shape
case('range_i64_neg','Range',[('a',np.array(10,np.int64)),('b',np.array(-7,np.int64)),('c',np.array(-3,np.int64))],[('y',np.arange(10,-7,-3,dtype=np.int64))])
case('range_f_neg','Range',[('a',np.array(1.5,np.float32)),('b',np.array(-2,np.float32)),('c',np.array(-0.5,np.float32))],[('y',np.arange(1.5,-2,-0.5,dtype=np.float32))])
case('range_i16_empty','Range',[('a',np.array(3,np.int16)),('b',np.array(3,np.int16)),('c',np.array(1,np.int16))],[('y',np.arange(3,3,1,dtype=np.int16))])
a=f32(2,0,3); b=f32(2,2,3); c=f32(2,1,3)
case('concat_empty','Concat',[('a',a),('b',b),('c',c)],[('y',np.concatenate([a,b,c],1))],dict(axis=-2),opset=11)
e1=np.zeros((0,),np.int64); e2=I64(3,4)
case('concat_1d_empty','Concat',[('a',e1),('b',e2)],[('y',np.concatenate([e1,e2]))],dict(axis=0))
case('cos_i64','ConstantOfShape',[('s',I64(2,3))],[('y',np.full((2,3),-4,np.int64))],dict(value=numpy_helper.from_array(I64(-4))))
case('cos_scalar','ConstantOfShape',[('s',np.zeros((0,),np.int64))],[('y',np.array(0,np.float32))],consts=('s',))
case('constant_floats','Constant',[],[('y',np.array([1.5,2.5],np.float32))],dict(value_floats=[1.5,2.5]))
case('constant_int','Constant',[],[('y',np.array(7,np.int64))],dict(value_int=7))
case('constant_ints','Constant',[],[('y',I64(1,2,3))],dict(value_ints=[1,2,3]))
case('constant_float','Constant',[],[('y',np.array(0.25,np.float32))],dict(value_float=0.25))
case('shape_empty_range','Shape',[('x',f32(2,3,4))],[('y',np.zeros((0,),np.int64))],dict(start=2,end=1),opset=15)
case('shape_v13','Shape',[('x',f32(2,3,4))],[('y',I64(2,3,4))],opset=13)
case('size_empty','Size',[('x',np.zeros((3,0),np.float32))],[('y',np.array(0,np.int64))])
xdr=f32(3,4)
case('dropout_v7_mask','Dropout',[('x',xdr)],[('y',xdr),('m',np.ones((3,4),np.float32))],dict(ratio=0.3),opset=7)
case('dropout_v10_mask','Dropout',[('x',xdr)],[('y',xdr),('m',np.ones((3,4),np.bool_))],opset=10)
case('identity_i8','Identity',[('x',(xdr*9).astype(np.int8))],[('y',(xdr*9).astype(np.int8))])

# ---- multi-node chains (folded and dynamic)
OUT=BASE+'/good'
def save(name, nodes, inputs, outputs, inits=[], opset=13):
    d=os.path.join(OUT,'test_'+name); os.makedirs(d+'/test_data_set_0')
    gi=[helper.make_tensor_value_info(n, onnx.mapping.NP_TYPE_TO_TENSOR_TYPE[a.dtype], a.shape) for n,a in inputs]
    go=[helper.make_tensor_value_info(n, onnx.mapping.NP_TYPE_TO_TENSOR_TYPE[a.dtype], None) for n,a in outputs]
    for i,(n,a) in enumerate(inputs): open(d+'/test_data_set_0/input_%d.pb'%i,'wb').write(numpy_helper.from_array(a,n).SerializeToString())
    for i,(n,a) in enumerate(outputs): open(d+'/test_data_set_0/output_%d.pb'%i,'wb').write(numpy_helper.from_array(a,n).SerializeToString())
    m=helper.make_model(helper.make_graph(nodes,name,gi,go,initializer=[numpy_helper.from_array(a,n) for n,a in inits]),opset_imports=[helper.make_opsetid('',opset)]); m.ir_version=8
    open(d+'/model.onnx','wb').write(m.SerializeToString())
x=np.random.default_rng(1).standard_normal((2,3,4)).astype(np.float32)
N=helper.make_node
save('shape_chain',[N('Shape',['x'],['s']),N('Gather',['s','i0'],['g'],axis=0),N('Unsqueeze',['g','ax'],['u']),
     N('Concat',['u','m1'],['t'],axis=0),N('Reshape',['x','t'],['y']),N('Transpose',['y'],['z'],perm=[1,0])],
     [('x',x)],[('z',x.reshape(2,12).T.copy())],[('i0',np.array(0,np.int64)),('ax',np.array([0],np.int64)),('m1',np.array([-1],np.int64))])
save('fold_chain',[N('Constant',[],['c'],value_ints=[2,3,4]),N('ConstantOfShape',['c'],['o'],value=numpy_helper.from_array(np.array([2.0],np.float32))),
     N('Mul',['x','o'],['y']),N('Slice',['y','st','en','ax','sp'],['z'])],
     [('x',x)],[('z',(x*2)[:, ::-1, :].copy())],[('st',np.array([-1],np.int64)),('en',np.array([-100],np.int64)),('ax',np.array([1],np.int64)),('sp',np.array([-1],np.int64))])

# ---- cases that must fail cleanly
OUT=BASE+'/bad'
os.makedirs(OUT)
import numpy as np
f=np.ones((5,4),np.float32)
I64=lambda *v: np.array(v, dtype=np.int64)
case('gather_oob','Gather',[('x',f),('i',I64(0,5))],[('y',np.ones((2,4),np.float32))])
case('gather_oob_neg','Gather',[('x',f),('i',I64(-6))],[('y',np.ones((1,4),np.float32))])
case('gather_el_oob','GatherElements',[('x',f),('i',I64(0,4).reshape(1,2))],[('y',np.ones((1,2),np.float32))],dict(axis=1))
case('gathernd_oob','GatherND',[('x',f),('i',I64(4,4).reshape(1,2))],[('y',np.ones((1,),np.float32))])
case('scatter_el_oob','ScatterElements',[('x',f),('i',I64(0,-9).reshape(1,2)),('u',np.ones((1,2),np.float32))],[('y',f)])
case('scatternd_oob','ScatterND',[('x',f),('i',I64(7).reshape(1,1)),('u',np.ones((1,4),np.float32))],[('y',f)])
case('revseq_bad','ReverseSequence',[('x',f),('l',I64(1,2,3,9))],[('y',f)],dict(time_axis=0,batch_axis=1))
case('reshape_bad','Reshape',[('x',f),('s',I64(3,-1))],[('y',f)])
case('split_bad','Split',[('x',f),('s',I64(2,2))],[('a',f),('b',f)])
case('slice_step0','Slice',[('x',f),('s',I64(0)),('e',I64(1)),('a',I64(0)),('t',I64(0))],[('y',f)])
case('range_delta0','Range',[('a',np.array(1,np.int64)),('b',np.array(3,np.int64)),('c',np.array(0,np.int64))],[('y',I64(1))])
case('expand_bad','Expand',[('x',f),('s',I64(3,4))],[('y',f)])
case('transpose_bad','Transpose',[('x',f)],[('y',f)],dict(perm=[0,0]))
case('concat_bad','Concat',[('a',f),('b',np.ones((5,3,1),np.float32))],[('y',f)],dict(axis=1))
case('pad_reflect_empty','Pad',[('x',np.ones((0,2),np.float32)),('p',I64(1,0,1,0))],[('y',f)],dict(mode='reflect'))
case('compress_long','Compress',[('x',f),('c',np.array([0,0,0,0,0,1],np.bool_))],[('y',f)],dict(axis=0))
case('onehot_depth0','OneHot',[('i',I64(1)),('d',np.array(0,np.int64)),('v',I64(0,1))],[('y',f)])
case('dtd_bad','DepthToSpace',[('x',np.ones((1,3,2,2),np.float32))],[('y',f)],dict(blocksize=2))
