/* op_table.h - the one list of ops: one ER_OP(<symbol>) row per op, sorted.
 * er_op_<symbol> is defined in src/ops/<symbol>.c, or in the family file
 * named in the comment. Expanded by registry.c; tests enumerate ops through
 * er_op_at(). */
ER_OP(add)   /* binary.c */
ER_OP(compress)
ER_OP(concat)
ER_OP(constant)
ER_OP(constant_of_shape)
ER_OP(depth_to_space)
ER_OP(div)   /* binary.c */
ER_OP(dropout)
ER_OP(expand)
ER_OP(eye_like)
ER_OP(flatten)
ER_OP(gather)
ER_OP(gather_elements)
ER_OP(gather_nd)
ER_OP(identity)
ER_OP(max)   /* binary.c */
ER_OP(mean)  /* binary.c */
ER_OP(min)   /* binary.c */
ER_OP(mod)   /* binary.c */
ER_OP(mul)   /* binary.c */
ER_OP(non_zero)
ER_OP(one_hot)
ER_OP(pad)
ER_OP(pow)   /* binary.c */
ER_OP(range)
ER_OP(reshape)
ER_OP(reverse_sequence)
ER_OP(scatter)   /* scatter_elements.c */
ER_OP(scatter_elements)
ER_OP(scatter_nd)
ER_OP(shape)
ER_OP(size)
ER_OP(slice)
ER_OP(space_to_depth)
ER_OP(split)
ER_OP(squeeze)
ER_OP(sub)   /* binary.c */
ER_OP(sum)   /* binary.c */
ER_OP(tile)
ER_OP(transpose)
ER_OP(trilu)
ER_OP(unsqueeze)
